/**
 * Which SKU a 1C item gets. Stock, reservations and order lines key on product.sku (unique), so an
 * item's SKU is chosen once, when it is first seen, and never renamed afterwards.
 */
export interface SkuCandidate {
  /** The 1C Ид (`guid` or `guid#guid`). */
  externalId: string;
  article?: string | undefined;
}

export interface SkuStrategy {
  /** SKUs to try in order; the 1C Ид is always tried last by the service. */
  candidates(item: SkuCandidate): string[];
}

/** The article when 1C gives one (what people order by), else the 1C Ид. */
export class DefaultSkuStrategy implements SkuStrategy {
  candidates(item: SkuCandidate): string[] {
    const article = item.article?.trim();
    return article ? [article] : [];
  }
}

/** Always the 1C Ид: for catalogues whose articles are not unique. */
export class ExternalIdSkuStrategy implements SkuStrategy {
  candidates(): string[] {
    return [];
  }
}

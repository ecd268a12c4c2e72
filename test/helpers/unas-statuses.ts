import { readFileSync } from 'node:fs';

/**
 * A generated status list of one shop: 16 shop-defined statuses, two of them with the names of a new
 * UNAS shop (known to the mapping's defaults), 14 of the shop's own (mapped by name alone they all land on
 * on_hold). Types are the getOrder Status filter's (open_normal, close_ok, close_fault; the ones seen in a
 * live shop's list [FORMATS.md §3]). `expected` is the core status the type (and the name's hints) gives.
 */
export const SHOP_STATUSES = [
  { id: '4681666', name: 'Feldolgozásra vár', type: 'open_normal', expected: 'received' },
  { id: '4681670', name: 'Teljesítve', type: 'close_ok', expected: 'completed' },
  { id: '5100001', name: 'Beérkezett', type: 'open_normal', expected: 'received' },
  { id: '5100002', name: 'Visszaigazolva', type: 'open_normal', expected: 'in_progress' },
  { id: '5100003', name: 'Csomagolás alatt', type: 'open_normal', expected: 'in_progress' },
  { id: '5100004', name: 'Összeszedésre vár', type: 'open_normal', expected: 'received' },
  { id: '5100005', name: 'Beszerzés alatt', type: 'open_normal', expected: 'in_progress' },
  { id: '5100006', name: 'Előreutalásra vár', type: 'open_normal', expected: 'received' },
  { id: '5100007', name: 'Személyes átvételre kész', type: 'open_normal', expected: 'in_progress' },
  { id: '5100008', name: 'Futárnak átadva', type: 'open_normal', expected: 'in_progress' },
  { id: '5100009', name: 'GLS csomagautomatába szállítva', type: 'close_ok', expected: 'completed' },
  { id: '5100010', name: 'Átvette', type: 'close_ok', expected: 'completed' },
  { id: '5100011', name: 'Lezárva', type: 'close_ok', expected: 'completed' },
  { id: '5100012', name: 'Nem vette át', type: 'close_fault', expected: 'cancelled' },
  { id: '5100013', name: 'Vevő lemondta', type: 'close_fault', expected: 'cancelled' },
  { id: '5100014', name: 'Visszaküldve', type: 'close_fault', expected: 'cancelled' },
] as const;

export type ShopStatus = { id?: string; name: string; type: string };

/**
 * A getOrderStatus answer listing `statuses`, generated. NOT the vendor's documented example (its page,
 * https://unas.hu/tudastar/api/megrendeles-statuszok, was not reachable when this was written): the
 * element names follow UNAS's other list answers (getMethod: `<Methods><Method><Id/><Name>CDATA</Name>
 * <Type/>…`) and getOrder's status fields; the connector reads any element with a Name and a Type, so a
 * differently named wrapper (`wrapper`/`item`) reads the same.
 */
export function statusListXml(statuses: readonly ShopStatus[], wrapper = 'OrderStatuses', item = 'OrderStatus'): string {
  const entries = statuses.map(
    (s) => `\t<${item}>\n${s.id === undefined ? '' : `\t\t<Id>${s.id}</Id>\n`}\t\t<Name><![CDATA[${s.name}]]></Name>\n\t\t<Type>${s.type}</Type>\n\t</${item}>`,
  );
  return `<?xml version="1.0" encoding="UTF-8" ?>\n<${wrapper}>\n${entries.join('\n')}\n</${wrapper}>\n`;
}

const documentedOrder = (): string => {
  const text = readFileSync(new URL('../fixtures/unas/get-order.xml', import.meta.url), 'utf8');
  const start = text.indexOf('<Order>');
  const end = text.lastIndexOf('</Order>') + '</Order>'.length;
  return text.slice(start, end);
};

/**
 * A getOrder answer with one order per status: the documented order (fixture get-order.xml) with its
 * Key, Id, Status and StatusID changed (Key 1000-200000n, Id 20000n).
 */
export function ordersInStatuses(statuses: ReadonlyArray<{ id?: string; name: string }>): string {
  const order = documentedOrder();
  const orders = statuses.map((s, index) =>
    order
      .replace(/<Key>[^<]*<\/Key>/, `<Key>1000-20000${index + 10}</Key>`)
      .replace(/<Id>146194506<\/Id>/, `<Id>2000${index + 10}</Id>`)
      .replace('<Status><![CDATA[Feldolgozásra vár]]></Status>', `<Status><![CDATA[${s.name}]]></Status>`)
      .replace('<StatusID><![CDATA[4681666]]></StatusID>', `<StatusID><![CDATA[${s.id ?? ''}]]></StatusID>`),
  );
  return `<?xml version="1.0" encoding="UTF-8" ?>\n<Orders>\n\t${orders.join('\n\t')}\n</Orders>\n`;
}

/** The key an order of ordersInStatuses() gets for the status at `index`. */
export const keyOfStatus = (index: number): string => `1000-20000${index + 10}|2000${index + 10}`;

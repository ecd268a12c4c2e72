-- The catalogue from 1C and price columns (issue 13; core/catalogue, docs/1c.md).
-- product: the 1C Ид (a product's GUID, or `guid#guid` for a variant: a sellable item of its own with
-- parent_id), the catalogue it came from, article, barcode, unit code, description, manufacturer, groups,
-- property and requisite values as sent, the active flag and when a 1C file last mentioned it.
ALTER TABLE "product" ADD COLUMN "external_id" TEXT;
ALTER TABLE "product" ADD COLUMN "parent_id" TEXT;
ALTER TABLE "product" ADD COLUMN "catalogue_id" TEXT;
ALTER TABLE "product" ADD COLUMN "article" TEXT;
ALTER TABLE "product" ADD COLUMN "barcode" TEXT;
ALTER TABLE "product" ADD COLUMN "unit_code" TEXT;
ALTER TABLE "product" ADD COLUMN "description" TEXT;
ALTER TABLE "product" ADD COLUMN "manufacturer" TEXT;
ALTER TABLE "product" ADD COLUMN "group_ids" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[];
ALTER TABLE "product" ADD COLUMN "properties" JSONB NOT NULL DEFAULT '[]';
ALTER TABLE "product" ADD COLUMN "requisites" JSONB NOT NULL DEFAULT '[]';
ALTER TABLE "product" ADD COLUMN "active" BOOLEAN NOT NULL DEFAULT true;
ALTER TABLE "product" ADD COLUMN "seen_at" TIMESTAMPTZ(3);
CREATE UNIQUE INDEX "product_external_id_key" ON "product"("external_id");
CREATE INDEX "product_parent_id_idx" ON "product"("parent_id");
CREATE INDEX "product_catalogue_id_idx" ON "product"("catalogue_id");
ALTER TABLE "product" ADD CONSTRAINT "product_parent_id_fkey" FOREIGN KEY ("parent_id") REFERENCES "product"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The classifier's groups (a tree by 1C ids) and properties with their choices.
CREATE TABLE "catalogue_group" (
    "id" TEXT NOT NULL,
    "external_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "parent_external_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "catalogue_group_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "catalogue_group_external_id_key" ON "catalogue_group"("external_id");
CREATE INDEX "catalogue_group_parent_external_id_idx" ON "catalogue_group"("parent_external_id");

CREATE TABLE "catalogue_property" (
    "id" TEXT NOT NULL,
    "external_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "value_type" TEXT,
    "choices" JSONB NOT NULL DEFAULT '[]',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "catalogue_property_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "catalogue_property_external_id_key" ON "catalogue_property"("external_id");

-- Price columns (1C price types) and prices with history: valid_to NULL is the current price.
CREATE TABLE "price_column" (
    "id" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "currency" TEXT,
    "vat_included" BOOLEAN,
    "tax_name" TEXT,
    "placeholder" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "price_column_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "price_column_code_key" ON "price_column"("code");

CREATE TABLE "price" (
    "id" BIGSERIAL NOT NULL,
    "product_id" TEXT NOT NULL,
    "price_column_id" TEXT NOT NULL,
    "unit_price" DECIMAL(18,6) NOT NULL,
    "currency" TEXT,
    "unit" TEXT,
    "factor" TEXT,
    "valid_from" TIMESTAMPTZ(3) NOT NULL,
    "valid_to" TIMESTAMPTZ(3),
    "exchange_id" TEXT,
    CONSTRAINT "price_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "price_product_id_price_column_id_valid_from_idx" ON "price"("product_id", "price_column_id", "valid_from");
CREATE INDEX "price_price_column_id_product_id_idx" ON "price"("price_column_id", "product_id");
-- At most one current price per item and column.
CREATE UNIQUE INDEX "price_current_key" ON "price"("product_id", "price_column_id") WHERE "valid_to" IS NULL;
ALTER TABLE "price" ADD CONSTRAINT "price_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "product"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "price" ADD CONSTRAINT "price_price_column_id_fkey" FOREIGN KEY ("price_column_id") REFERENCES "price_column"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- A dealer's price column in a region (and its cities), overriding dealer.price_column there.
CREATE TABLE "dealer_price_column_region" (
    "dealer_id" TEXT NOT NULL,
    "region_id" TEXT NOT NULL,
    "price_column_id" TEXT NOT NULL,
    CONSTRAINT "dealer_price_column_region_pkey" PRIMARY KEY ("dealer_id", "region_id")
);
ALTER TABLE "dealer_price_column_region" ADD CONSTRAINT "dealer_price_column_region_dealer_id_fkey" FOREIGN KEY ("dealer_id") REFERENCES "dealer"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "dealer_price_column_region" ADD CONSTRAINT "dealer_price_column_region_region_id_fkey" FOREIGN KEY ("region_id") REFERENCES "region"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "dealer_price_column_region" ADD CONSTRAINT "dealer_price_column_region_price_column_id_fkey" FOREIGN KEY ("price_column_id") REFERENCES "price_column"("id") ON DELETE CASCADE ON UPDATE CASCADE;

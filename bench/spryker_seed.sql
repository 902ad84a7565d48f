-- The Spryker-style configuration's tables: copies of seed.sql's three tables with the same
-- rows, columns, keys and indexes (one alias per table: a second configuration of the same
-- data needs tables of its own). Run after seed.sql.
SET client_min_messages = warning;
DROP TABLE IF EXISTS spy_stock;
DROP TABLE IF EXISTS spy_product;
DROP TABLE IF EXISTS spy_category;

CREATE TABLE spy_category (
  id   serial PRIMARY KEY,
  name text NOT NULL
);

CREATE TABLE spy_product (
  id          serial PRIMARY KEY,
  sku         text UNIQUE NOT NULL,
  name        text NOT NULL,
  price       numeric(12,2) NOT NULL,
  is_active   boolean NOT NULL DEFAULT true,
  category_id int REFERENCES spy_category(id),
  created_at  timestamptz DEFAULT now()
);

CREATE TABLE spy_stock (
  id         serial PRIMARY KEY,
  product_id int REFERENCES spy_product(id),
  warehouse  text NOT NULL,
  quantity   int NOT NULL
);

CREATE INDEX spy_product_category_id_idx ON spy_product(category_id);
CREATE INDEX spy_stock_product_id_idx    ON spy_stock(product_id);

INSERT INTO spy_category SELECT id, name FROM category ORDER BY id;
INSERT INTO spy_product
SELECT id, sku, name, price, is_active, category_id, created_at FROM product ORDER BY id;
INSERT INTO spy_stock SELECT id, product_id, warehouse, quantity FROM stock ORDER BY id;
SELECT setval('spy_category_id_seq', (SELECT max(id) FROM spy_category));
SELECT setval('spy_product_id_seq', (SELECT max(id) FROM spy_product));
SELECT setval('spy_stock_id_seq', (SELECT max(id) FROM spy_stock));

ANALYZE spy_category;
ANALYZE spy_product;
ANALYZE spy_stock;

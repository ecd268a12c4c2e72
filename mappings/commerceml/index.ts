/** CommerceML 2.x / 3.1 (1C "обмен с сайтом"): streaming readers and the order writer. Pure: bytes in, records or bytes out. */
export { readCommerceMl, CommerceMlReadError, type ReadCommerceMlOptions } from './reader.ts';
export { writeOrdersDocument, type OrderForOneC, type OrderLineForOneC, type WriteOrdersOptions } from './writer.ts';
export { decodeXml, sniffEncoding } from './decode.ts';

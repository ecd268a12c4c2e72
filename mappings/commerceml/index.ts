/** CommerceML 2.x / 3.1 (1C "обмен с сайтом"): the streaming reader. Pure: bytes in, records out. */
export { readCommerceMl, CommerceMlReadError, type ReadCommerceMlOptions } from './reader.ts';
export { decodeXml, sniffEncoding } from './decode.ts';

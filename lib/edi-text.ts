import { isUtf8 } from 'node:buffer';
/**
 * Shared by the EDI connector (decoding what arrives) and the EDI mappings (telling the syntax).
 *
 * EDI files are bytes whose character set is declared inside them (EDIFACT UNB syntax identifier)
 * or agreed with the partner (X12). Declarations are often wrong in practice (UNOC files that are
 * really UTF-8 or cp1252), so valid UTF-8 wins, then the declared set, then windows-1252. A UTF-16
 * export (byte order mark, or a zero in every other byte) is read as UTF-16 before all that.
 */
import { decodeBytes, sniffEncoding } from './text-bytes.ts';

const UNB_CHARSETS: Record<string, string> = {
  UNOA: 'windows-1252', // upper-case ASCII subset
  UNOB: 'windows-1252', // ASCII subset
  UNOC: 'iso-8859-1',
  UNOD: 'iso-8859-2',
  UNOE: 'iso-8859-5',
  UNOF: 'iso-8859-7',
  UNOG: 'iso-8859-3',
  UNOH: 'iso-8859-4',
  UNOI: 'iso-8859-6',
  UNOJ: 'iso-8859-8',
  UNOK: 'iso-8859-9',
  UNOW: 'utf-8',
  UNOY: 'utf-8',
};

export interface DecodedFile {
  text: string;
  charset: string;
  /** The syntax identifier found in UNB, if any. */
  declared?: string | undefined;
}

export function decodeEdiBytes(bytes: Uint8Array): DecodedFile {
  const { charset, declared } = ediCharsetOf(bytes);
  const text = decodeBytes(bytes, charset);
  return { text: charset === 'utf-8' ? text.replace(/^\uFEFF/, '') : text, charset, ...(declared !== undefined && { declared }) };
}

/**
 * How an EDI file's bytes read, without decoding the whole file (a 100 MB upload is not turned into
 * text to learn its charset): UTF-16 by its marks, valid UTF-8, else the set declared in UNB.
 * Given only the file's start, `utf8` says whether the whole of it is valid UTF-8.
 */
export function ediCharsetOf(bytes: Uint8Array, utf8?: boolean): Omit<DecodedFile, 'text'> {
  // A UTF-16 export (by its byte order mark or its every-other-byte zeros) says so before anything declared inside.
  const sniffed = sniffEncoding(bytes.subarray(0, 4096));
  if (sniffed === 'utf-16le' || sniffed === 'utf-16be') {
    return { charset: sniffed, declared: /UNB\+(UNO[A-Z])/.exec(decodeBytes(bytes.subarray(0, 400), sniffed))?.[1] };
  }
  const declared = /UNB\+(UNO[A-Z])/.exec(new TextDecoder('latin1').decode(bytes.subarray(0, 200)))?.[1];
  // `utf8`: whether the whole file is UTF-8, when `bytes` is only its start (an upload streamed into the archive).
  if (utf8 ?? isUtf8(bytes)) return { charset: 'utf-8', declared };
  return { charset: (declared && UNB_CHARSETS[declared] !== 'utf-8' && UNB_CHARSETS[declared]) || 'windows-1252', declared };
}

/** The start of an EDI file as text (its syntax and envelope show there). */
export function ediHeadOf(bytes: Uint8Array, charset: string): string {
  return decodeBytes(bytes.subarray(0, 4096), charset);
}

export type EdiSyntax = 'edifact' | 'x12';

/** EDIFACT or X12, by the first significant characters of the interchange. */
export function ediSyntaxOf(text: string): EdiSyntax | undefined {
  const start = text.trimStart().slice(0, 3);
  if (start === 'UNA' || start === 'UNB') return 'edifact';
  if (start === 'ISA') return 'x12';
  return undefined;
}

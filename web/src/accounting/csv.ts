import type { Locale } from '../i18n';

/**
 * A CSV file made in the browser for Excel: UTF-8 with a BOM (so Cyrillic opens right), CRLF line ends,
 * every field quoted (quotes doubled). A Russian Excel expects ";" and a decimal comma, an English one ","
 * and a decimal point: the separator and the numbers follow the screen's language.
 */
export function csvText(rows: readonly (readonly CsvCell[])[], locale: Locale): string {
  const separator = locale === 'ru' ? ';' : ',';
  const field = (cell: CsvCell) => {
    let text: string;
    if (cell === null || cell === undefined) text = '';
    else if (typeof cell === 'object') text = locale === 'ru' ? cell.decimal.replace('.', ',') : cell.decimal;
    else text = String(cell);
    return `"${text.replace(/"/g, '""')}"`;
  };
  return '\uFEFF' + rows.map((row) => row.map(field).join(separator)).join('\r\n') + '\r\n';
}

/** A cell: text, a whole number, or a decimal string (money, quantities) written with the locale's decimal sign. */
export type CsvCell = string | number | null | undefined | { decimal: string };

export const decimal = (value: string | null | undefined): CsvCell => (value === null || value === undefined ? '' : { decimal: value });

/** Saves the text as a file (a Blob download: nothing goes to the server). */
export function downloadCsv(fileName: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Built-in channel kinds; ops may add their own (lower-case words) to segment sales further. */
export const BUILT_IN_CHANNEL_KINDS = ['webshop', 'edi', 'pos', 'manual', 'erp'] as const;
export const CHANNEL_KIND_PATTERN = '^[a-z][a-z0-9_-]{1,39}$';

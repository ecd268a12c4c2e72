export declare const DEFAULT_MAX_HEAP_MB: number;
export type HeapDecision =
  | { relaunch: false; reason: string }
  | { relaunch: true; maxHeapMb: number; execArgv: string[] }
  | { error: string };
export declare function heapDecision(argv: readonly string[], execArgv: readonly string[], env: Record<string, string | undefined>): HeapDecision;

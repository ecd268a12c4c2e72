import type { PayloadProcessedEvent } from '../../jobs/runtime/types.ts';

interface PayloadEvents {
  onPayloadProcessed(listener: (event: PayloadProcessedEvent) => void): () => void;
}

/**
 * The next payload the runner has finished with for good (its last try: read, or failed after
 * retries). Ask before causing it (upload, webhook, sync), then await: the event is the
 * synchronisation, never a sleep.
 */
export function nextProcessedPayload(runner: PayloadEvents): Promise<PayloadProcessedEvent> {
  return new Promise((resolve) => {
    const off = runner.onPayloadProcessed((event) => {
      if (event.final) {
        off();
        resolve(event);
      }
    });
  });
}

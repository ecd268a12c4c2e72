import { FormatRegistry } from '@sinclair/typebox';

// TypeBox's Value.Check refuses unknown formats; register the ones core schemas use.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

if (!FormatRegistry.Has('date-time')) {
  FormatRegistry.Set('date-time', (value) => DATE_TIME.test(value) && !Number.isNaN(Date.parse(value)));
}
if (!FormatRegistry.Has('date')) {
  FormatRegistry.Set('date', (value) => DATE.test(value) && !Number.isNaN(Date.parse(value)));
}
if (!FormatRegistry.Has('uri')) {
  FormatRegistry.Set('uri', (value) => URL.canParse(value));
}

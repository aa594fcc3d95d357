/**
 * JSON forms of the apimachinery value types that have a custom protobuf shape:
 * meta/v1 Time and MicroTime (a Timestamp {seconds, nanos}), resource.Quantity (its canonical
 * string) and intstr.IntOrString ({type, intVal, strVal}).
 */
import { ProtobufError } from './errors.js';

/** Time.MarshalJSON: RFC 3339 in UTC with whole seconds (upstream drops nanos on decode). */
export function formatTime(seconds: number): string {
  return isoSeconds(seconds).replace(/\.\d{3}Z$/, 'Z');
}

/** MicroTime.MarshalJSON: RFC 3339 in UTC with exactly six fractional digits. */
export function formatMicroTime(seconds: number, nanos: number): string {
  const micros = String(Math.floor(nanos / 1000)).padStart(6, '0');
  return isoSeconds(seconds).replace(/\.\d{3}Z$/, `.${micros}Z`);
}

function isoSeconds(seconds: number): string {
  const date = new Date(seconds * 1000);
  const year = date.getUTCFullYear();
  if (Number.isNaN(date.getTime()) || year < 0 || year > 9999) {
    throw new ProtobufError('Time.MarshalJSON: year outside of range [0,9999]');
  }
  return date.toISOString();
}

/** Parses an RFC 3339 timestamp into Timestamp fields; nanos keep the fraction that was written. */
export function parseTime(text: string, where: string): { seconds: number; nanos: number } {
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text) || Number.isNaN(ms)) {
    throw new ProtobufError(`encoding ${where}: parsing time "${text}" as RFC 3339 failed`);
  }
  const fraction = /\.(\d+)/.exec(text)?.[1] ?? '';
  const nanos = fraction === '' ? 0 : Number(fraction.slice(0, 9).padEnd(9, '0'));
  return { seconds: Math.floor(ms / 1000), nanos };
}

/** A decoded Quantity: its wire string, or "0" for the zero Quantity. */
export function quantityJson(text: string | undefined): string {
  return text === undefined || text === '' ? '0' : text;
}

/** IntOrString.MarshalJSON: the number for Type=Int (0), the string for Type=String (1). */
export function intOrStringJson(type: number | undefined, intVal: number | undefined, strVal: string | undefined): number | string {
  return type === 1 ? (strVal ?? '') : (intVal ?? 0);
}

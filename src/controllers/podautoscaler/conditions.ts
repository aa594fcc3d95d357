// setConditionInList of horizontal.go: conditions keep their order, and lastTransitionTime
// moves only when the status does.

export interface HPACondition {
  type: string;
  status: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

export function setCondition(list: HPACondition[], type: string, status: string, reason: string, message: string, now: number): HPACondition[] {
  const out = list.map((c) => ({ ...c }));
  let c = out.find((x) => x.type === type);
  if (!c) {
    c = { type, status: '' };
    out.push(c);
  }
  if (c.status !== status) c.lastTransitionTime = rfc3339(now);
  c.status = status;
  c.reason = reason;
  c.message = message;
  return out;
}

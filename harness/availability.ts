/** Can something run here? When not, the reason names the fix. */
export type Availability = { ok: true } | { ok: false; reason: string };

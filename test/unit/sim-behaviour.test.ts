import t from 'tap';
import { applyPatch, DEFAULT_BEHAVIOUR, validatePatch } from '../../src/sim/behaviour';

t.test('valid patches pass through unchanged', async (t) => {
  const r = validatePatch({ mode: 'reject', rejectCode: 486, ringMs: 1000, dropPercent: 12.5, optionsCode: 0 });
  t.same(r, { ok: true, patch: { mode: 'reject', rejectCode: 486, ringMs: 1000, dropPercent: 12.5, optionsCode: 0 } });
  t.same(validatePatch({}), { ok: true, patch: {} }, 'empty patch is fine');
  for (const mode of ['answer', 'reject', 'noanswer', 'silent', 'hangup']) t.ok(validatePatch({ mode }).ok, mode);
});

t.test('every problem is reported, with the key and the allowed range', async (t) => {
  const r = validatePatch({ mode: 'busy', rejectCode: 200, ringMs: -5, holdMs: 1.5, dropPercent: 100.1, optionsCode: 150, extraDelayMs: '10', colour: 'red' });
  t.notOk(r.ok);
  if (r.ok) return;
  t.equal(r.errors.length, 8);
  t.match(r.errors.join('\n'), /mode: "busy" is not one of answer\|reject\|noanswer\|silent\|hangup/);
  t.match(r.errors.join('\n'), /rejectCode: 200 is out of range 300–699/);
  t.match(r.errors.join('\n'), /ringMs: -5 is out of range/);
  t.match(r.errors.join('\n'), /holdMs: 1\.5 is not an integer/);
  t.match(r.errors.join('\n'), /dropPercent: 100\.1 is out of range 0–100/);
  t.match(r.errors.join('\n'), /optionsCode: must be 0 \(no response\) or a final status/);
  t.match(r.errors.join('\n'), /extraDelayMs: "10" is not a number/);
  t.match(r.errors.join('\n'), /unknown key "colour" \(allowed: mode, rejectCode/);
});

t.test('non-objects are refused', async (t) => {
  for (const v of [null, 3, 'mode=answer', [], [{ mode: 'answer' }]]) t.notOk(validatePatch(v).ok, JSON.stringify(v));
  t.notOk(validatePatch({ ringMs: Number.NaN }).ok);
  t.notOk(validatePatch({ ringMs: Number.POSITIVE_INFINITY }).ok);
});

t.test('applyPatch merges and freezes; defaults as documented', async (t) => {
  t.same(DEFAULT_BEHAVIOUR, { mode: 'answer', rejectCode: 503, ringMs: 0, holdMs: 0, extraDelayMs: 0, dropPercent: 0, optionsCode: 200 });
  const b = applyPatch(DEFAULT_BEHAVIOUR, { mode: 'hangup', holdMs: 2000 });
  t.equal(b.mode, 'hangup');
  t.equal(b.rejectCode, 503);
  t.ok(Object.isFrozen(b));
  t.equal(DEFAULT_BEHAVIOUR.mode, 'answer', 'defaults untouched');
});

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { assertAgentId, isValidAgentId, topics } from './topics.js';
import { WIRE_ERROR_CODES, WireError } from './wire-error.js';

describe('topics', () => {
  it('names the topics under the default prefix', () => {
    const t = topics();
    expect(t.presence('pi-kitchen')).toBe('edgeprom/presence/pi-kitchen');
    expect(t.push('pi-kitchen')).toBe('edgeprom/push/pi-kitchen');
    expect(t.ack('pi-kitchen')).toBe('edgeprom/ack/pi-kitchen');
    expect(t.alerts('oncall')).toBe('edgeprom/alerts/oncall');
    expect(t.presenceFilter).toBe('edgeprom/presence/+');
    expect(t.pushFilter).toBe('edgeprom/push/+');
  });

  it('takes a custom or empty prefix', () => {
    expect(topics('site1/edgeprom/').push('a')).toBe('site1/edgeprom/push/a');
    expect(topics('').ack('a')).toBe('ack/a');
  });

  it.each(['edgeprom', 'edge/#/', 'a+/', 'x\u0000/'])('rejects prefix %j', (prefix) => {
    expect(() => topics(prefix)).toThrow(expect.objectContaining({ code: WIRE_ERROR_CODES.TOPIC_PREFIX }));
  });

  it('parses a topic back to its kind and agent id', () => {
    const t = topics();
    expect(t.parse('edgeprom/push/pi-kitchen')).toEqual({ kind: 'push', id: 'pi-kitchen' });
    expect(t.parse('edgeprom/presence/dev.1:a')).toEqual({ kind: 'presence', id: 'dev.1:a' });
    expect(t.parse('edgeprom/alerts/oncall')).toEqual({ kind: 'alerts', id: 'oncall' });
    for (const bad of ['edgeprom/push/', 'edgeprom/push/a/b', 'edgeprom/pull/a', 'other/push/a', 'edgeprom/push', 'edgeprom/push/+', '']) {
      expect(t.parse(bad)).toBeUndefined();
    }
  });

  it('round-trips every valid id and never yields an id a topic cannot hold', () => {
    const t = topics();
    fc.assert(
      fc.property(fc.constantFrom('presence', 'push', 'ack', 'alerts') as fc.Arbitrary<'push'>, fc.string({ unit: 'binary', maxLength: 140 }), (kind, id) => {
        if (isValidAgentId(id)) {
          expect(t.parse(t[kind](id))).toEqual({ kind, id });
        } else {
          expect(() => t[kind](id)).toThrow(WireError);
        }
        const parsed = t.parse(`edgeprom/${kind}/${id}`);
        if (parsed) expect(isValidAgentId(parsed.id)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('agent ids', () => {
  it.each([
    ['', 'must not be empty'],
    ['a/b', 'must not contain'],
    ['a+', 'must not contain'],
    ['#', 'must not contain'],
    ['a\u0000', 'must not contain'],
    ['a\nb', 'must not contain'],
    ['\ud800', 'must not contain'],
    ['x'.repeat(129), 'longer than 128 characters'],
  ])('rejects %j', (id, why) => {
    expect(isValidAgentId(id)).toBe(false);
    expect(() => assertAgentId(id)).toThrow(expect.objectContaining({ code: WIRE_ERROR_CODES.AGENT_ID, message: expect.stringContaining(why) }));
  });

  it.each(['pi-kitchen', 'x'.repeat(128), 'dev_01.site:a', 'ü€😀', 'with space'])('accepts %j', (id) => {
    expect(isValidAgentId(id)).toBe(true);
  });

  it('rejects non-strings', () => {
    expect(isValidAgentId(7)).toBe(false);
  });
});

import t from 'tap';
import { createHash } from 'node:crypto';
import { DigestAuth, NONCE_TTL_MS, parseCredentials, parseDigest } from '../../src/admission/digest';

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

/** What a SIP client computes from a challenge (RFC 2617 qop=auth). */
function answer(challenge: string, user: string, password: string, uri = 'sip:15550001@127.0.0.1', method = 'INVITE'): string {
  const c = parseDigest(challenge)!;
  const ha1 = md5(`${user}:${c.realm}:${password}`);
  const ha2 = md5(`${method}:${uri}`);
  const nc = '00000001';
  const cnonce = 'abc123';
  const response = md5(`${ha1}:${c.nonce}:${nc}:${cnonce}:auth:${ha2}`);
  return `Digest username="${user}", realm="${c.realm}", nonce="${c.nonce}", uri="${uri}", response="${response}", algorithm=MD5, qop=auth, nc=${nc}, cnonce="${cnonce}"`;
}

const auth = new DigestAuth('trunkwise', parseCredentials('ivr-east:pa55,ivr-west:w3st'));

t.test('a correct answer to our challenge is accepted and names the IVR', async (t) => {
  const ch = auth.challenge(1000);
  t.match(ch, /^Digest realm="trunkwise", nonce="\d+\.[\w-]+", algorithm=MD5, qop="auth"$/);
  t.same(auth.verify(answer(ch, 'ivr-east', 'pa55'), 'INVITE', 2000), { ok: true, username: 'ivr-east' });
});

t.test('wrong password, unknown user, foreign or forged nonce, wrong realm, missing, malformed', async (t) => {
  const ch = auth.challenge(1000);
  t.match(auth.verify(answer(ch, 'ivr-east', 'nope'), 'INVITE', 2000), { ok: false, reason: 'bad-response' });
  t.match(auth.verify(answer(ch, 'mallory', 'pa55'), 'INVITE', 2000), { ok: false, reason: 'unknown-user' });
  const other = new DigestAuth('trunkwise', parseCredentials('ivr-east:pa55'));
  t.match(auth.verify(answer(other.challenge(1000), 'ivr-east', 'pa55'), 'INVITE', 2000), { ok: false, reason: 'bad-nonce' }, 'nonce from another instance');
  t.match(auth.verify(answer(ch.replace(/nonce="(\d+)\./, 'nonce="999.'), 'ivr-east', 'pa55'), 'INVITE', 2000), { ok: false, reason: 'bad-nonce' }, 'forged timestamp');
  t.match(auth.verify(answer(ch.replace('realm="trunkwise"', 'realm="x"'), 'ivr-east', 'pa55'), 'INVITE', 2000), { ok: false, reason: 'wrong-realm' });
  t.match(auth.verify(undefined, 'INVITE', 2000), { ok: false, reason: 'missing' });
  t.match(auth.verify('Basic Zm9vOmJhcg==', 'INVITE', 2000), { ok: false, reason: 'malformed' });
  t.match(auth.verify(answer(ch, 'ivr-east', 'pa55'), 'BYE', 2000), { ok: false, reason: 'bad-response' }, 'answer bound to the method');
});

t.test('an expired nonce with the right password is stale: the client may retry without asking the user', async (t) => {
  const ch = auth.challenge(1000);
  t.same(auth.verify(answer(ch, 'ivr-west', 'w3st'), 'INVITE', 1000 + NONCE_TTL_MS + 1), { ok: false, reason: 'bad-nonce', stale: true });
  t.match(auth.challenge(5000, true), /stale=true/);
});

t.test('TRUNKWISE_IVR_AUTH parsing: errors name the entry, never the password', async (t) => {
  t.same([...parseCredentials('a:b, c:d:e').entries()], [['a', 'b'], ['c', 'd:e']]);
  t.throws(() => parseCredentials('a:b,secretonly'), /entry 2 is not user:password/);
  try {
    parseCredentials('a:b,secretonly');
  } catch (err) {
    t.notMatch((err as Error).message, /secretonly/);
  }
  t.throws(() => parseCredentials(' , '), /names no user/);
});

import t from 'tap';
import { RtcpMuxNegotiation } from '../../src/media/rtcp-mux';

t.test('caller offers mux, carrier accepts: both legs mux', async (t) => {
  const n = new RtcpMuxNegotiation();
  t.same(n.offer('a', true), { offerer: true, offerOther: true });
  t.equal(n.answer('b', true), true);
  t.same([n.muxes('a'), n.muxes('b')], [true, true]);
});

t.test('caller offers mux, carrier declines: the caller leg still muxes, the carrier leg does not', async (t) => {
  const n = new RtcpMuxNegotiation();
  n.offer('a', true);
  t.equal(n.answer('b', false), false);
  t.same([n.muxes('a'), n.muxes('b')], [true, false]);
});

t.test('no mux offered: not offered on, and an unasked-for a=rtcp-mux in the answer is ignored (RFC 8035)', async (t) => {
  const n = new RtcpMuxNegotiation();
  t.same(n.offer('a', false), { offerer: false, offerOther: false });
  t.equal(n.answer('b', true), false);
  t.same([n.muxes('a'), n.muxes('b')], [false, false]);
});

t.test('early media then the 200: each answer is judged against the same offer', async (t) => {
  const n = new RtcpMuxNegotiation();
  n.offer('a', true);
  t.equal(n.answer('b', false), false, '183 without mux');
  t.equal(n.answer('b', true), true, '200 with mux');
});

t.test('crankback: a new attempt is a new offer to the carrier leg', async (t) => {
  const n = new RtcpMuxNegotiation();
  n.offer('a', true);
  n.answer('b', true);
  t.same(n.offer('a', true), { offerer: true, offerOther: true });
  t.equal(n.answer('b', false), false, 'the second carrier declines');
  t.equal(n.muxes('b'), false);
});

t.test('re-offers: once a leg muxes every later offer to it carries a=rtcp-mux (RFC 5761 §5.1.3)', async (t) => {
  const n = new RtcpMuxNegotiation();
  n.offer('a', true);
  n.answer('b', false);
  // The carrier re-offers (hold) without mux: the caller leg keeps being offered mux.
  t.same(n.offer('b', false), { offerer: false, offerOther: true });
  t.equal(n.answer('a', true), true);
  t.same([n.muxes('a'), n.muxes('b')], [true, false]);
  // The caller re-offers without mux: it stops muxing; the carrier, not muxing, is not offered it.
  t.same(n.offer('a', false), { offerer: false, offerOther: false });
  t.equal(n.answer('b', false), false);
  t.same([n.muxes('a'), n.muxes('b')], [false, false]);
  // The caller re-offers with mux later: offered on to the carrier again, which may now accept.
  t.same(n.offer('a', true), { offerer: true, offerOther: true });
  t.equal(n.answer('b', true), true);
});

t.test('a leg that muxes and answers a re-offer without a=rtcp-mux stops muxing', async (t) => {
  const n = new RtcpMuxNegotiation();
  n.offer('a', true);
  n.answer('b', true);
  t.same(n.offer('a', true), { offerer: true, offerOther: true });
  t.equal(n.answer('b', false), false);
  t.equal(n.muxes('b'), false);
});

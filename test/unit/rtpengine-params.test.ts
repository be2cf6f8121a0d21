/** ng request dictionaries and the daemon's command line: pure, no daemon. */
import t from 'tap';
import { attemptIds, deleteBranch, deleteCall, dialogTags, inDialog, initialAnswer, initialOffer, SDP_FLAGS } from '../../src/media/rtpengine/params';
import { rtpengineArgs } from '../../src/media/rtpengine/process';

const ids = { callId: 'c1', callerTag: 'from1' };

t.test('each attempt has its own synthetic to-tag and via-branch', async (t) => {
  const a1 = attemptIds('ab12', 1);
  const a2 = attemptIds('ab12', 2);
  t.same(a1, { n: 1, toTag: 'ab12.1', viaBranch: 'z9hG4bK-tw-ab12-1' });
  t.not(a2.toTag, a1.toTag);
  t.not(a2.viaBranch, a1.viaBranch);
});

t.test('initial offer / answer: caller From tag, attempt branch, anchoring flags', async (t) => {
  const a = attemptIds('n', 1);
  const o = initialOffer(ids, a, 'SDP');
  t.match(o, { 'call-id': 'c1', 'from-tag': 'from1', 'via-branch': a.viaBranch, sdp: 'SDP', ICE: 'remove', 'record call': 'no' });
  t.same(o.replace, ['origin', 'session-connection']);
  t.notOk('to-tag' in o, 'no to-tag in the initial offer');
  t.match(initialAnswer(ids, a, 'ANS'), { 'from-tag': 'from1', 'to-tag': 'n.1', 'via-branch': a.viaBranch, sdp: 'ANS', ICE: 'remove' });
  t.ok(Object.isFrozen(SDP_FLAGS));
});

t.test('in-dialog offers: the offering leg\'s tag is the From tag', async (t) => {
  const a = attemptIds('n', 2);
  t.same(dialogTags('caller', ids, a), { from: 'from1', to: 'n.2' });
  t.same(dialogTags('carrier', ids, a), { from: 'n.2', to: 'from1' });
  t.match(inDialog(ids, a, 'carrier', 'X'), { 'from-tag': 'n.2', 'to-tag': 'from1', sdp: 'X', ICE: 'remove' });
  t.notOk('via-branch' in inDialog(ids, a, 'caller', 'X'), 'the dialog is identified by its tags');
});

t.test('deletes are immediate; a branch delete names its via-branch', async (t) => {
  const a = attemptIds('n', 1);
  t.same(deleteBranch(ids, a), { 'call-id': 'c1', 'from-tag': 'from1', 'via-branch': a.viaBranch, 'delete delay': 0 });
  t.same(deleteCall(ids), { 'call-id': 'c1', 'from-tag': 'from1', 'delete delay': 0 });
});

t.test('daemon command line: no config file, userspace, immediate delete, MOS-LQ', async (t) => {
  const args = rtpengineArgs({ address: '127.0.0.1', ngPort: 2223, portMin: 20000, portMax: 20199, pidfile: '/tmp/x.pid', rtpTimeoutS: 60, logLevel: 5 });
  for (const a of ['--config-file=none', '--interface=127.0.0.1', '--listen-ng=127.0.0.1:2223', '--table=-1', '--foreground', '--port-min=20000', '--port-max=20199', '--pidfile=/tmp/x.pid', '--delete-delay=0', '--mos=LQ']) {
    t.ok(args.includes(a), a);
  }
  t.notOk(args.includes('--no-fallback'), 'must start without the kernel module');
});

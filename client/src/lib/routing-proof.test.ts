import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ProofInput, routingProof } from './routing-proof.ts';

const HOME = '24d0000000000b';
const EDGE_MACHINE = '24a0000000000a';

const base: ProofInput = {
  socketMachine: HOME,
  socketRegion: 'dfw',
  homeMachine: HOME,
  homeRegion: 'dfw',
  requestedHome: HOME,
  pageMachine: HOME,
  pageRegion: 'dfw',
  edgeRegion: 'ams',
};

test('socket on the home Machine: same Machine, replayed across regions from the ams edge', () => {
  const proof = routingProof(base);
  assert.equal(proof.verdict, 'same-machine');
  assert.equal(proof.headline, `served by ${HOME} (dfw) - same Machine as the creator`);
  assert.equal(proof.replayedAcrossRegions, true);
  assert.deepEqual(proof.rows, [
    ['Stream home', `${HOME} (dfw)`],
    ['Video socket served by', `${HOME} (dfw)`],
    ['Page served by', `${HOME} (dfw)`],
    ['Entered Fly at edge', 'ams'],
  ]);
});

test('socket on another Machine: the proof says so', () => {
  const proof = routingProof({ ...base, socketMachine: EDGE_MACHINE, socketRegion: 'ams' });
  assert.equal(proof.verdict, 'different-machine');
  assert.equal(proof.headline, `served by ${EDGE_MACHINE} (ams) - NOT the creator's Machine ${HOME} (dfw)`);
});

test('a socket Machine but no home in the hello is not "same"', () => {
  assert.equal(routingProof({ ...base, homeMachine: null, homeRegion: null }).verdict, 'different-machine');
});

test('off Fly: local verdict, and no edge region', () => {
  const proof = routingProof({
    socketMachine: null,
    socketRegion: null,
    homeMachine: null,
    homeRegion: null,
    requestedHome: null,
    pageMachine: null,
    pageRegion: null,
    edgeRegion: null,
  });
  assert.equal(proof.verdict, 'local');
  assert.match(proof.headline, /not running on Fly/);
  assert.equal(proof.replayedAcrossRegions, false);
  assert.match(proof.rows[3]![1], /unknown/);
});

test('same region edge: no cross-region replay; a stale link is listed', () => {
  const proof = routingProof({ ...base, edgeRegion: 'dfw', requestedHome: EDGE_MACHINE });
  assert.equal(proof.replayedAcrossRegions, false);
  assert.deepEqual(proof.rows.at(-1), ['Link asked for', EDGE_MACHINE]);
});

test('a Machine without a region is shown by id alone', () => {
  const proof = routingProof({ ...base, socketRegion: null });
  assert.equal(proof.headline, `served by ${HOME} - same Machine as the creator`);
});

test('socket on a relay: relayed by it from the home, a good verdict (not a misroute)', () => {
  const proof = routingProof({ ...base, socketMachine: EDGE_MACHINE, socketRegion: 'ams', relayed: true });
  assert.equal(proof.verdict, 'relayed');
  assert.equal(proof.headline, `relayed by ${EDGE_MACHINE} (ams) from home ${HOME} (dfw)`);
  const misrouted = routingProof({ ...base, socketMachine: EDGE_MACHINE, socketRegion: 'ams' });
  assert.equal(misrouted.verdict, 'different-machine', 'without the hello saying so, another Machine is a misroute');
});

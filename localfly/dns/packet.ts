import * as dnsPacket from 'dns-packet';
import { answerQuestion, type DnsView } from './answers.ts';

/** Plain DNS over UDP carries 512 bytes unless the query advertises more with EDNS (RFC 6891). */
export const CLASSIC_UDP_PAYLOAD_BYTES = 512;
/** What this server advertises back over EDNS; the common safe size that avoids IP fragmentation. */
export const EDNS_UDP_PAYLOAD_BYTES = 1232;

const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4 } as const;

/**
 * Wire in, wire out: the response to one DNS query message, or null when the bytes are not a
 * query at all (a UDP server drops those). Over UDP an answer larger than the client's payload
 * size is replaced by an empty one with the TC bit, and the client retries over TCP.
 */
export function respond(
  query: Buffer,
  view: DnsView,
  askerRegion: string | undefined,
  transport: 'udp' | 'tcp',
): Buffer | null {
  let packet: dnsPacket.DecodedPacket;
  try {
    packet = dnsPacket.decode(query);
  } catch {
    if (query.length < 12) return null;
    // The header is there but the rest is garbage: FORMERR with the id, as resolvers expect.
    return dnsPacket.encode({
      type: 'response',
      id: query.readUInt16BE(0),
      flags: RCODE.FORMERR,
      questions: [],
      answers: [],
    });
  }
  if (packet.type !== 'query') return null;

  const opt = (packet.additionals ?? []).find((a) => a.type === 'OPT') as { udpPayloadSize?: number } | undefined;
  const additionals: dnsPacket.Answer[] = opt
    ? [
        {
          type: 'OPT',
          name: '.',
          udpPayloadSize: EDNS_UDP_PAYLOAD_BYTES,
          extendedRcode: 0,
          ednsVersion: 0,
          flags: 0,
          flag_do: false,
          options: [],
        },
      ]
    : [];
  const recursionDesired = packet.flag_rd ? dnsPacket.RECURSION_DESIRED : 0;
  const questions = packet.questions ?? [];
  const base = {
    type: 'response' as const,
    id: packet.id ?? 0,
    questions,
    additionals,
    answers: [] as dnsPacket.Answer[],
  };

  if ((packet.flags ?? 0) & 0x7800) {
    // Only standard queries (opcode 0) are served.
    return dnsPacket.encode({ ...base, flags: recursionDesired | RCODE.NOTIMP });
  }
  const question = questions[0];
  if (questions.length !== 1 || question === undefined) {
    return dnsPacket.encode({ ...base, flags: recursionDesired | RCODE.FORMERR });
  }

  const answer = answerQuestion({ name: question.name, type: question.type }, view, askerRegion);
  const flags = dnsPacket.AUTHORITATIVE_ANSWER | recursionDesired | RCODE[answer.rcode];
  const answers: dnsPacket.Answer[] = answer.answers.map((a) =>
    a.type === 'TXT' ? { ...a, data: a.data.map((s) => Buffer.from(s)) } : a,
  );
  const full = dnsPacket.encode({ ...base, flags, answers });
  if (transport === 'tcp') return full;
  const limit = Math.max(CLASSIC_UDP_PAYLOAD_BYTES, Math.min(opt?.udpPayloadSize ?? 0, EDNS_UDP_PAYLOAD_BYTES));
  if (full.length <= limit) return full;
  return dnsPacket.encode({ ...base, flags: flags | dnsPacket.TRUNCATED_RESPONSE });
}

/**
 * The media hook. Today a carrier only *advertises* an RTP address in its SDP answer; the media issue
 * will plug in an endpoint that opens a socket and sends/echoes RTP. Nothing here opens sockets.
 */
export interface RemoteMedia {
  address: string;
  port: number;
  /** The payload type chosen in the answer. */
  payloadType: number;
  codec: string;
}

/** One call's RTP endpoint on the carrier side. */
export interface MediaEndpoint {
  readonly address: string;
  readonly port: number;
  /** The negotiated far end (after every offer/answer, including re-INVITE/UPDATE). */
  update(remote: RemoteMedia): void;
  /** The call ended: release the port / socket. */
  close(): void;
}

export interface MediaFactory {
  open(callId: string, carrierId: string): MediaEndpoint;
}

/**
 * Advertises even ports from a range, cycling, and opens nothing. The port numbers are unique per
 * factory for `count` calls, which is all the SDP needs until real RTP exists.
 */
export function advertiseOnlyMedia(address = '127.0.0.1', firstPort = 40_000, count = 10_000): MediaFactory {
  let next = 0;
  return {
    open: () => {
      const port = firstPort + 2 * (next++ % count);
      return { address, port, update: () => undefined, close: () => undefined };
    },
  };
}

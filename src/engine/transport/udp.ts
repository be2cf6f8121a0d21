/** UDP transport: one bound socket per listen address. */
import dgram from 'node:dgram';
import net from 'node:net';
import { isValidPort } from './response-target';

export interface Datagram {
  data: Buffer;
  address: string;
  port: number;
}

export class UdpTransport {
  private socket: dgram.Socket | undefined;

  constructor(
    private readonly address: string,
    private readonly port: number,
    private readonly onDatagram: (d: Datagram) => void,
    private readonly onError: (err: Error) => void,
  ) {}

  listen(): Promise<{ address: string; port: number }> {
    const type = net.isIPv6(this.address) ? 'udp6' : 'udp4';
    const socket = dgram.createSocket({ type, recvBufferSize: 4 * 1024 * 1024, sendBufferSize: 4 * 1024 * 1024 });
    this.socket = socket;
    socket.on('message', (data, rinfo) => this.onDatagram({ data, address: rinfo.address, port: rinfo.port }));
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(this.port, this.address, () => {
        socket.off('error', reject);
        socket.on('error', (err) => this.onError(err));
        const a = socket.address();
        resolve({ address: a.address, port: a.port });
      });
    });
  }

  /**
   * Send; never throws. An unusable target (port outside 1–65535, not an IP address) and any error
   * dgram raises synchronously or asynchronously (e.g. ICMP unreachable as ECONNREFUSED) go to onFail.
   */
  send(data: Buffer, port: number, address: string, onFail: (err: Error) => void): void {
    const s = this.socket;
    if (!s) return onFail(new Error('udp transport not listening'));
    if (!isValidPort(port) || net.isIP(address) === 0) return onFail(new Error(`invalid UDP target ${address}:${port}`));
    try {
      s.send(data, port, address, (err) => {
        if (err) onFail(err);
      });
    } catch (err) {
      onFail(err as Error);
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.socket) return resolve();
      this.socket.close(() => resolve());
      this.socket = undefined;
    });
  }
}

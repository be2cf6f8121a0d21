/**
 * The parts of the npm package `rtpengine-client` (plain JS, no types) that trunkwise uses. Values
 * are what its bencode decoder yields: byte strings as UTF-8 strings, integers as numbers.
 */
declare module 'rtpengine-client' {
  import { EventEmitter } from 'node:events';

  export type NgValue = string | number | NgValue[] | { [key: string]: NgValue };
  export interface NgDict { [key: string]: NgValue }

  export interface ClientOptions {
    localPort?: number;
    localAddress?: string;
    /** Per-command reply timeout, ms; on expiry the promise rejects with an RtpEngineError. */
    timeout?: number;
    rejectOnError?: boolean;
  }

  export class RtpEngineError extends Error {}

  /** ng over UDP. Every command takes the daemon's port and host first. Emits 'error' (must be handled). */
  export class Client extends EventEmitter {
    constructor(opts: ClientOptions);
    ping(port: number, host: string): Promise<NgDict>;
    offer(port: number, host: string, params: NgDict): Promise<NgDict>;
    answer(port: number, host: string, params: NgDict): Promise<NgDict>;
    delete(port: number, host: string, params: NgDict): Promise<NgDict>;
    query(port: number, host: string, params: NgDict): Promise<NgDict>;
    list(port: number, host: string, params: NgDict): Promise<NgDict>;
    close(): void;
  }
}

/**
 * Carrier digest credentials, resolved from the environment at load time and kept where no logger,
 * JSON.stringify or util.inspect can reach them: a private field, with toJSON / inspect views that
 * list only which carriers have credentials.
 */
import { inspect } from 'node:util';

export interface DigestCredentials {
  readonly username: string;
  readonly password: string;
  readonly realm?: string;
}

export class CredentialStore {
  readonly #byCarrier: ReadonlyMap<string, DigestCredentials>;

  constructor(byCarrier: ReadonlyMap<string, DigestCredentials>) {
    this.#byCarrier = byCarrier;
  }

  /** Credentials for a carrier's outbound INVITE (srf.createUAC `auth`), or undefined if it has none. */
  get(carrierId: string): DigestCredentials | undefined {
    return this.#byCarrier.get(carrierId);
  }

  has(carrierId: string): boolean {
    return this.#byCarrier.has(carrierId);
  }

  /** The safe view: which carriers have credentials, never the values. */
  toJSON(): { carriersWithCredentials: string[]; values: '[redacted]' } {
    return { carriersWithCredentials: [...this.#byCarrier.keys()], values: '[redacted]' };
  }

  [inspect.custom](): string {
    return `CredentialStore(${[...this.#byCarrier.keys()].join(', ')}; values redacted)`;
  }
}

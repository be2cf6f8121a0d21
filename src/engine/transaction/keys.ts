/** Transaction matching keys (RFC 3261 §17.1.3 client side, §17.2.3 server side). */
export const clientKey = (branch: string, method: string): string => `c|${branch}|${method}`;

/** ACK is matched to its INVITE by the caller passing method INVITE; CANCEL keeps its own key. */
export const serverKey = (branch: string, sentBy: string, method: string): string => `s|${branch}|${sentBy.toLowerCase()}|${method}`;

/** The rtpengine media adapter: anchor (the MediaAnchor), process (a daemon for tests / npm start). */
export { RtpengineAnchor, RtpengineSession, type RtpengineAnchorOptions } from './anchor';
export { startRtpengine, type RtpengineProcess, type RtpengineProcessOptions } from './process';
export { RtpengineError, RTPENGINE_ERRORS, type RtpengineErrorCode } from './errors';

#!/usr/bin/env node
/** `trunkwise-ivr`: the simulated IVR: places calls with RTP and prints a JSON summary. The launcher only gives the built file a shebang; the module does the work. */
import '../sim/ivr/main';

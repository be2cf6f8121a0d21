#!/usr/bin/env node
/** `trunkwise-sim`: the carrier simulator (five SIP trunks whose behaviour changes at run time). The launcher only gives the built file a shebang; the module does the work. */
import '../sim/main';

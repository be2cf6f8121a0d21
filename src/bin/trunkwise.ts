#!/usr/bin/env node
/** `trunkwise`: trunkwise itself — the SIP edge (settings: README "Configuration"; `trunkwise --help`). The launcher only gives the built file a shebang; the module does the work. */
import '../main';

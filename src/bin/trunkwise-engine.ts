#!/usr/bin/env node
/** `trunkwise-engine`: the embedded SIP engine as its own process, drachtio-server's command line (`-f drachtio.conf.xml`). The launcher only gives the built file a shebang; the module does the work. */
import '../engine/cli';

#!/usr/bin/env node
// Entry of the `edgevis` command: first the settings that only count at start (see
// start-settings.ts; the program may start again in this same process to get them), then the
// command line. One process, whatever happens: signals to it or its group reach only it.
import { applyStartSettings } from './process/start-settings.js';

const notApplied = applyStartSettings();
if (notApplied) process.env.EDGEVIS_START_SETTINGS_NOTE = notApplied; // logged at debug by the commands
await import('./commands/cli-program.js');

import type { CliCommand } from '../cli-io';

/**
 * Every command, loaded on demand so one command's dependencies never slow another down.
 * Adding a command: write src/cli/commands/NAME.ts exporting a CliCommand, add one line here.
 */
export const COMMANDS: Record<string, () => Promise<CliCommand>> = {
  format: () => import('./format').then((m) => m.formatCommand),
  validate: () => import('./validate').then((m) => m.validateCommand),
  compile: () => import('./compile').then((m) => m.compileCommand),
  simulate: () => import('./simulate').then((m) => m.simulateCommand),
  scenarios: () => import('./scenarios').then((m) => m.scenariosCommand),
  lint: () => import('./lint').then((m) => m.lintCommand),
  allowed: () => import('./allowed').then((m) => m.allowedCommand),
  diff: () => import('./diff').then((m) => m.diffCommand),
  reach: () => import('./reach').then((m) => m.reachCommand),
  serve: () => import('./serve').then((m) => m.serveCommand),
  drift: () => import('./drift').then((m) => m.driftCommand),
  'compare-backends': () => import('./compare-backends').then((m) => m.compareBackendsCommand),
};

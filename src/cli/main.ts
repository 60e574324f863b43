/** The command line: one file per command, added here. */
import { Command } from 'commander';
import { convertCommand } from './commands/convert.js';
import { summaryCommand } from './commands/summary.js';
import { validateCommand } from './commands/validate.js';
import { VERSION } from '../version.js';

export function createProgram(): Command {
  const program = new Command('strata')
    .description('Train neural networks from one YAML file, on TensorFlow.js.')
    .version(VERSION)
    .showSuggestionAfterError(true)
    .exitOverride();
  validateCommand(program);
  summaryCommand(program);
  convertCommand(program);
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

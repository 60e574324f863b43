/** The command line: one file per command, added here. */
import { Command } from 'commander';
import { compressCommand } from './commands/compress.js';
import { datasetsCommand } from './commands/datasets.js';
import { evaluateCommand } from './commands/evaluate.js';
import { generateCommand } from './commands/generate.js';
import { predictCommand } from './commands/predict.js';
import { convertCommand } from './commands/convert.js';
import { reportCommand } from './commands/report.js';
import { searchCommand } from './commands/search.js';
import { summaryCommand } from './commands/summary.js';
import { trainCommand } from './commands/train.js';
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
  trainCommand(program);
  searchCommand(program);
  evaluateCommand(program);
  generateCommand(program);
  predictCommand(program);
  datasetsCommand(program);
  convertCommand(program);
  reportCommand(program);
  compressCommand(program);
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

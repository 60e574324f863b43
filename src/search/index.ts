/** The sampling core of `strata search`: the spaces, and the random, grid and TPE samplers. */
export { activeParameters, checkParameters, isActive, jsonEqual, sampleOne } from './space.js';
export type { Assignment, Observation, Parameter, Sampler, Space } from './space.js';
export { randomSampler } from './random.js';
export { gridSampler, MAX_INT_VALUES } from './grid.js';
export { tpeSampler } from './tpe.js';
export type { TpeOptions } from './tpe.js';

import type { Value } from './value';

/**
 * A function of the template languages that needs nothing but its arguments (concat, split,
 * cidrSubnet...). Functions that read the deployment (parameters, variables, copyIndex,
 * resourceId, resourceGroup...) live in the evaluators, which know the context.
 *
 * A pure function never throws: wrong arguments give an Unknown naming the problem, and an
 * Unknown argument that the result depends on gives an Unknown.
 */
export type PureFunction = (args: Value[]) => Value;

export interface FunctionSpec {
  /** Lower-case name as looked up (ARM and Bicep function names are case-insensitive in ARM). */
  name: string;
  minArgs: number;
  maxArgs: number; // Infinity for variadic
  fn: PureFunction;
}

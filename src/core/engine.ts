/**
 * The engine: source text in, findings out. Shared by the CLI, the extension and the tests.
 */
import { parseArm, type ArmDocument, type SyntaxProblem } from './parse/arm';
import { evaluateArmTemplate, type ArmEvaluationOptions, type TemplateEvaluation } from './evaluate/arm-evaluator';
import type { EvaluationProblem } from './evaluate/resources';
import { buildGraph } from './graph/build';
import type { NetworkGraph } from './graph/model';
import { checkGraph } from './findings';
import type { Finding } from './rules/types';
import { SourceFile } from './source';

/** Files larger than this are not analyzed (a clear message says so). */
export const MAX_FILE_BYTES = 32 * 1024 * 1024;

export interface TemplateAnalysis {
  file: SourceFile;
  document: ArmDocument;
  /** False for JSON that is not a deployment template (ignored quietly). */
  isTemplate: boolean;
  parseErrors: SyntaxProblem[];
  evaluation: TemplateEvaluation | undefined;
  graph: NetworkGraph | undefined;
  findings: Finding[];
  problems: EvaluationProblem[];
}

/** Analyzes one ARM template on its own. Never throws on user input. */
export function analyzeArmText(path: string, text: string, options: ArmEvaluationOptions = {}): TemplateAnalysis {
  const file = new SourceFile(path, text);
  if (text.length > MAX_FILE_BYTES) {
    return {
      file,
      document: { file, root: undefined, kind: 'other', errors: [] },
      isTemplate: false,
      parseErrors: [],
      evaluation: undefined,
      graph: undefined,
      findings: [],
      problems: [
        {
          span: { file: path, start: 0, end: 0 },
          message: `Not analyzed: the file is ${(text.length / 1048576).toFixed(1)} MB, over the ${MAX_FILE_BYTES / 1048576} MB limit.`,
          severity: 'info',
        },
      ],
    };
  }
  const document = parseArm(file);
  const isTemplate = document.kind === 'deploymentTemplate';
  if (!isTemplate) {
    return { file, document, isTemplate, parseErrors: [], evaluation: undefined, graph: undefined, findings: [], problems: [] };
  }
  const evaluation = evaluateArmTemplate(document, options);
  const graph = buildGraph(evaluation.resources);
  const context = options.parameterSource !== undefined ? { parameterSource: options.parameterSource } : {};
  const findings = checkGraph(graph, context);
  return { file, document, isTemplate, parseErrors: document.errors, evaluation, graph, findings, problems: evaluation.problems };
}

/** Does this text look like the start of a deployment template even though it does not parse? */
export function looksLikeTemplate(text: string): boolean {
  return /deploymentTemplate\.json/i.test(text.slice(0, 4096));
}

import pkg from '../../package.json';

export const TOOL_NAME = 'ilb-hairpin';
export const TOOL_VERSION: string = pkg.version;

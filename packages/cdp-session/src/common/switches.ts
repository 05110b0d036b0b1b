// Chromium command-line switches in an argument list (`--name=value`). Chromium's CommandLine
// keeps the last value a switch is given, so these read and write it the same way.

/** The value of the last `--name=…` in `args`, if any. */
export function switchValue(args: readonly string[] | undefined, name: string): string | undefined {
  const prefix = `--${name}=`
  return (args ?? []).findLast((arg) => arg.startsWith(prefix))?.slice(prefix.length)
}

/** `args` with every `--name=…` replaced by one `--name=value` at the end. */
export function withSwitch(args: readonly string[], name: string, value: string): string[] {
  const prefix = `--${name}=`
  return [...args.filter((arg) => !arg.startsWith(prefix)), `${prefix}${value}`]
}

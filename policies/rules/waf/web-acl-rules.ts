import { items, type Props } from "../../core/inputs.ts";

/** The rules of a WebACL (a malformed list has none). */
export function webAclRules(props: Props): Props[] {
  return items(props.rules);
}

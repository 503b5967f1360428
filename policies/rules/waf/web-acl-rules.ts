import { items, type Props } from "../../core/inputs.ts";

export function webAclRules(props: Props): Props[] {
  return items(props.rules);
}

export function EvaluatePage(_props: { name?: string }) {
  return <p>EvaluatePage: to do</p>;
}

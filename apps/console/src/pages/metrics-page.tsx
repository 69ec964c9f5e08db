export function MetricsPage(_props: { name?: string }) {
  return <p>MetricsPage: to do</p>;
}

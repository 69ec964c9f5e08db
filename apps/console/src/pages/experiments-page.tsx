export function ExperimentPage(_props: { name?: string }) {
  return <p>ExperimentPage: to do</p>;
}
export function ExperimentsPage(_props: { name?: string }) {
  return <p>ExperimentsPage: to do</p>;
}
export function NewExperimentPage(_props: { name?: string }) {
  return <p>NewExperimentPage: to do</p>;
}

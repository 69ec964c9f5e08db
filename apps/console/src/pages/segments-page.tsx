export function SegmentPage(_props: { name?: string }) {
  return <p>SegmentPage: to do</p>;
}
export function SegmentsPage(_props: { name?: string }) {
  return <p>SegmentsPage: to do</p>;
}

// The report form shows the questions of the chosen category only (without script, all of
// them show, each under its category's name, and only the chosen category's count).
function showCategoryQuestions(form) {
  const select = form.querySelector("#field-category_id");
  if (!select) return;
  form.querySelectorAll("[data-questions-for]").forEach(function (fieldset) {
    fieldset.hidden = fieldset.dataset.questionsFor !== select.value;
  });
}
document.addEventListener("change", function (event) {
  if (event.target.id === "field-category_id") showCategoryQuestions(event.target.form);
});
// The form comes back from the server (with errors) as a new element.
document.addEventListener("htmx:load", function (event) {
  const form = event.detail.elt.closest && event.detail.elt.closest("form");
  if (form) showCategoryQuestions(form);
});
document.addEventListener("DOMContentLoaded", function () {
  const form = document.getElementById("report-form");
  if (form) showCategoryQuestions(form);
});

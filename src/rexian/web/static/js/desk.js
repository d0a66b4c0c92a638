// Reply templates: choosing one fills the reply box (the text stays editable).
document.querySelectorAll(".template-picker").forEach(function (picker) {
  picker.addEventListener("change", function () {
    var box = picker.form.querySelector("textarea[name=text]");
    if (picker.value && box) { box.value = picker.value; box.focus(); }
  });
});

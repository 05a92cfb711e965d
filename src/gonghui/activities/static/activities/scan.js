// The phone camera through the browser's BarcodeDetector where it exists (Chromium on Android);
// otherwise the field takes a scanner gun's or a typed code. See docs/activities.md.
(function () {
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  var start = document.getElementById("gh-scan-start"), video = document.getElementById("gh-scan-video");
  var form = document.getElementById("gh-scan-form"), field = form.querySelector("input[name=code]");
  start.classList.remove("d-none");
  start.addEventListener("click", function () {
    var detector = new BarcodeDetector({formats: ["qr_code"]});
    navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}}).then(function (stream) {
      video.srcObject = stream; video.classList.remove("d-none"); video.play(); start.classList.add("d-none");
      (function tick() {
        detector.detect(video).then(function (found) {
          if (found.length) { field.value = found[0].rawValue; stream.getTracks().forEach(function (t) { t.stop(); }); form.submit(); }
          else { requestAnimationFrame(tick); }
        }).catch(function () { requestAnimationFrame(tick); });
      })();
    }).catch(function () { start.classList.add("d-none"); });
  });
})();

// motorlab: "Copy PNG", "Copy SVG", "Download PNG" and "Download SVG" in the figure's modebar.
// Inserted by motorlab.figures.write_figures after Plotly.newPlot; FIGURE is replaced by
// {name, file, width, height, scale, config}. Works offline from file://.
(function () {
  var FIGURE = __MOTORLAB_FIGURE__;
  var gd = document.getElementById("{plot_id}");
  var canCopy = !!(window.isSecureContext && navigator.clipboard && window.ClipboardItem);

  function size(format) {
    var full = gd._fullLayout || {};
    return {
      format: format,
      width: FIGURE.width || full.width,
      height: FIGURE.height || full.height,
      scale: format === "png" ? FIGURE.scale : 1,
    };
  }

  function notify(text) {
    var box = document.getElementById("motorlab-notice");
    if (!box) {
      box = document.createElement("div");
      box.id = "motorlab-notice";
      box.setAttribute("role", "status");
      box.style.cssText = "position:fixed;right:12px;bottom:12px;padding:6px 10px;border-radius:4px;" +
        "background:#333;color:#fff;font:13px sans-serif;z-index:1000;transition:opacity .4s";
      document.body.appendChild(box);
    }
    box.textContent = text;
    box.style.opacity = "1";
    clearTimeout(box._hide);
    box._hide = setTimeout(function () { box.style.opacity = "0"; }, 2500);
  }

  function download(format) {
    var opts = size(format);
    opts.filename = FIGURE.file;
    return Plotly.downloadImage(gd, opts).then(function () {
      notify("Downloaded " + FIGURE.file + "." + format + " (" + opts.width * opts.scale + "×" +
             opts.height * opts.scale + ")");
    });
  }

  function dataUrlBlob(url) {
    var comma = url.indexOf(",");
    var head = url.slice(0, comma), body = url.slice(comma + 1);
    var type = head.slice(5).split(";")[0];
    if (head.indexOf(";base64") >= 0) {
      var bin = atob(body), bytes = new Uint8Array(bin.length);
      for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      return new Blob([bytes], {type: type});
    }
    return new Blob([decodeURIComponent(body)], {type: type});
  }

  function copy(format) {
    if (!canCopy) {
      notify("This page may not write images to the clipboard; downloading instead");
      return download(format);
    }
    return Plotly.toImage(gd, size(format)).then(function (url) {
      var blob = dataUrlBlob(url), items = {};
      items[blob.type] = blob;
      if (format === "svg") items["text/plain"] = new Blob([blob], {type: "text/plain"});
      return navigator.clipboard.write([new ClipboardItem(items)]).catch(function () {
        if (format !== "svg") throw new Error("clipboard refused " + blob.type);
        return blob.text().then(function (text) { return navigator.clipboard.writeText(text); });
      });
    }).then(function () {
      notify(format.toUpperCase() + " copied to the clipboard");
    }).catch(function () {
      notify("The clipboard refused the " + format.toUpperCase() + "; downloading instead");
      return download(format);
    });
  }

  var copyIcon = {width: 24, height: 24,
    path: "M16 1H4a2 2 0 0 0-2 2v14h2V3h12V1zm3 4H8a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h11a2 2 0 0 0 " +
          "2-2V7a2 2 0 0 0-2-2zm0 16H8V7h11v14z"};
  var fallback = canCopy ? "" : " (the clipboard is not available here: downloads instead)";
  var buttons = [
    {name: "Copy PNG", title: "Copy PNG to the clipboard" + fallback, icon: copyIcon,
     click: function () { copy("png"); }},
    {name: "Copy SVG", title: "Copy SVG to the clipboard" + fallback, icon: copyIcon,
     click: function () { copy("svg"); }},
    {name: "Download PNG", title: "Download PNG: " + FIGURE.file + ".png", icon: Plotly.Icons.camera,
     click: function () { download("png"); }},
    {name: "Download SVG", title: "Download SVG: " + FIGURE.file + ".svg", icon: Plotly.Icons.disk,
     click: function () { download("svg"); }},
  ];
  var config = Object.assign({}, FIGURE.config, {modeBarButtonsToAdd: [buttons]});
  return Plotly.react(gd, gd.data, gd.layout, config).then(function () {
    gd.setAttribute("data-motorlab-buttons", "ready");
  });
})();

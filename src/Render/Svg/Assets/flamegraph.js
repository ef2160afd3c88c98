// FlameKit flame graph interaction: zoom, search, details line. Written for FlameKit; no dependencies.
// Frames are <g> elements under #frames holding <title>, <rect>, <text> in that order.
"use strict";
var fk = (function () {
	var svg, framesEl, details, unzoomBtn, searchBtn, icBtn, matchedEl;
	var frames = [];      // {g, rect, text, name, x, w, y, fill}
	var cfg = {};
	var ignoreCase = false, lastTerm = null, zoomed = null;
	var searchColor = "rgb(230,0,230)";

	function attr(e, n) { return parseFloat(e.getAttribute(n)); }

	function nameOf(g) {
		var t = g.querySelector("title").textContent;
		var i = t.lastIndexOf(" (");
		return i >= 0 ? t.substring(0, i) : t;
	}

	function init() {
		svg = document.documentElement;
		framesEl = document.getElementById("frames");
		details = document.getElementById("details").firstChild;
		unzoomBtn = document.getElementById("unzoom");
		searchBtn = document.getElementById("search");
		icBtn = document.getElementById("ignorecase");
		matchedEl = document.getElementById("matched");
		cfg.nametype = framesEl.getAttribute("data-nametype") || "";
		cfg.charWidth = attr(framesEl, "data-fontsize") * attr(framesEl, "data-fontwidth");
		cfg.xpad = attr(framesEl, "data-xpad");
		cfg.width = attr(framesEl, "data-width");
		cfg.inverted = framesEl.getAttribute("data-inverted") === "1";
		var gs = framesEl.children;
		for (var i = 0; i < gs.length; i++) {
			var g = gs[i], rect = g.querySelector("rect"), text = g.querySelector("text");
			frames.push({ g: g, rect: rect, text: text, name: nameOf(g), x: attr(rect, "x"), w: attr(rect, "width"),
				y: attr(rect, "y"), fill: rect.getAttribute("fill"), tx: attr(text, "x") - attr(rect, "x") });
			g._fk = frames[frames.length - 1];
		}
		framesEl.addEventListener("click", function (e) {
			var f = frameOf(e.target);
			if (f) { zoom(f); e.stopPropagation(); }
		});
		framesEl.addEventListener("mouseover", function (e) {
			var f = frameOf(e.target);
			if (f) details.nodeValue = cfg.nametype + " " + f.g.querySelector("title").textContent;
		});
		framesEl.addEventListener("mouseout", function () { details.nodeValue = " "; });
		unzoomBtn.addEventListener("click", function () { unzoom(); });
		searchBtn.addEventListener("click", function () { searchPrompt(); });
		icBtn.addEventListener("click", function () {
			ignoreCase = !ignoreCase;
			icBtn.classList.toggle("show", ignoreCase);
			if (lastTerm !== null) search(lastTerm);
		});
		window.addEventListener("keydown", function (e) {
			if (e.keyCode === 114 || ((e.ctrlKey || e.metaKey) && e.keyCode === 70)) { e.preventDefault(); searchPrompt(); }
			else if (e.ctrlKey && e.keyCode === 73) { e.preventDefault(); icBtn.dispatchEvent(new Event("click")); }
			else if (e.key === "Escape") { resetSearch(); }
		});
	}

	function frameOf(el) {
		while (el && el !== framesEl) {
			if (el._fk) return el._fk;
			el = el.parentNode;
		}
		return null;
	}

	// Re-truncates a label to the frame's current width with the same estimate as the renderer.
	function fitText(f, width) {
		var name = f.name, chars = Math.floor(width / cfg.charWidth), s = "";
		if (chars >= 3) s = chars >= name.length ? name : name.substring(0, chars - 2) + "..";
		f.text.textContent = s;
	}

	function place(f, x, w) {
		f.rect.setAttribute("x", x.toFixed(1));
		f.rect.setAttribute("width", w.toFixed(1));
		f.text.setAttribute("x", (x + f.tx).toFixed(2));
		fitText(f, w);
	}

	function zoom(target) {
		if (typeof target === "string") target = frames.filter(function (f) { return f.name === target; })[0];
		if (!target) return;
		if (target === frames[0]) { unzoom(); return; }
		zoomed = target;
		var xmin = target.x, xmax = target.x + target.w, eps = 0.0001;
		var ratio = (cfg.width - 2 * cfg.xpad) / target.w;
		unzoomBtn.classList.remove("hide");
		for (var i = 0; i < frames.length; i++) {
			var f = frames[i];
			var rootSide = cfg.inverted ? f.y < target.y : f.y > target.y;
			f.g.classList.remove("parent");
			f.g.classList.remove("hide");
			if (rootSide) {
				if (f.x <= xmin + eps && f.x + f.w >= xmax - eps) {
					f.g.classList.add("parent");
					place(f, cfg.xpad, cfg.width - 2 * cfg.xpad);
				} else {
					f.g.classList.add("hide");
				}
			} else if (f.x >= xmin - eps && f.x + f.w <= xmax + eps) {
				place(f, cfg.xpad + (f.x - xmin) * ratio, f.w * ratio);
			} else {
				f.g.classList.add("hide");
			}
		}
	}

	function unzoom() {
		zoomed = null;
		unzoomBtn.classList.add("hide");
		for (var i = 0; i < frames.length; i++) {
			var f = frames[i];
			f.g.classList.remove("parent");
			f.g.classList.remove("hide");
			place(f, f.x, f.w);
		}
	}

	function searchPrompt() {
		if (lastTerm !== null) { resetSearch(); return; }
		var term = window.prompt("Enter a search term (regexp allowed, eg: ^ext4_)" + (ignoreCase ? ", ignoring case" : "")
			+ "\nPress Ctrl-i to toggle case sensitivity", "");
		if (term) search(term);
	}

	function resetSearch() {
		lastTerm = null;
		for (var i = 0; i < frames.length; i++) frames[i].rect.setAttribute("fill", frames[i].fill);
		matchedEl.firstChild.nodeValue = " ";
		searchBtn.classList.remove("show");
		searchBtn.firstChild.nodeValue = "Search";
	}

	// Highlights frames whose name matches; reports the share of the total they cover, counting nested
	// matches once (union of the matched x ranges).
	function search(term) {
		var re = new RegExp(term, ignoreCase ? "i" : "");
		lastTerm = term;
		var spans = [];
		for (var i = 0; i < frames.length; i++) {
			var f = frames[i];
			if (i > 0 && re.test(f.name)) {
				f.rect.setAttribute("fill", searchColor);
				spans.push([f.x, f.x + f.w]);
			} else {
				f.rect.setAttribute("fill", f.fill);
			}
		}
		spans.sort(function (a, b) { return a[0] - b[0]; });
		var covered = 0, end = -Infinity;
		for (var j = 0; j < spans.length; j++) {
			var s = Math.max(spans[j][0], end), e = spans[j][1];
			if (e > s) covered += e - s;
			if (e > end) end = e;
		}
		var pct = 100 * covered / (cfg.width - 2 * cfg.xpad);
		searchBtn.classList.add("show");
		searchBtn.firstChild.nodeValue = "Reset Search";
		matchedEl.firstChild.nodeValue = "Matched: " + (pct >= 99.95 ? "100" : pct.toFixed(1)) + "%";
		return pct;
	}

	return { init: init, zoom: zoom, unzoom: unzoom, search: search, resetSearch: resetSearch };
})();
function init(evt) { fk.init(); }
window.flamegraph = fk;

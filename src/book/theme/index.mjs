// The book's VitePress theme: the default theme plus the components chapter pages use.
// Plain JavaScript on purpose: it is bundled by VitePress for the browser, not compiled by the project's tsc.
import DefaultTheme from "vitepress/theme";
import PlotlyFigure from "./PlotlyFigure.vue";
import NotebookHtml from "./NotebookHtml.vue";
import LivePanel from "./LivePanel.vue";
import "./custom.css";

export default {
  extends: DefaultTheme,
  enhanceApp({ app }) {
    app.component("PlotlyFigure", PlotlyFigure);
    app.component("NotebookHtml", NotebookHtml);
    app.component("LivePanel", LivePanel);
  },
};

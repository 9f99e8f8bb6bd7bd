// The TechMatch portal page: search as you type, facets, record details and demand
// matching over the JSON API of the same origin. No framework, no build step.
//
// Safety rule: record text only ever reaches the page as text nodes (textContent,
// createTextNode). Highlighted fragments come from the API as escaped text with <mark>
// around matches; markedText() splits them on exactly those two tags and decodes the
// entities, so whatever a record says, it cannot become markup.
'use strict';

(function () {
  // Anything the Content-Security-Policy blocked, for the browser test (should stay empty).
  window.__techmatchCspViolations = [];
  document.addEventListener('securitypolicyviolation', (event) => {
    window.__techmatchCspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
  });

  // ---------------------------------------------------------------- UI text
  const TEXT = {
    vi: {
      title: 'TechMatch — Tìm công nghệ',
      skip: 'Bỏ qua, đến nội dung chính',
      tagline: 'Sàn giao dịch cung – cầu công nghệ Việt Nam',
      navLabel: 'Chức năng',
      tabSearch: 'Tìm công nghệ',
      tabMatch: 'Tìm công nghệ cho nhu cầu',
      tabDemands: 'Nhu cầu công nghệ',
      enterprise: 'Doanh nghiệp đặt hàng',
      trlMin: 'TRL tối thiểu',
      sourceEvent: 'Thu thập tại',
      demandBadge: 'Nhu cầu',
      searchHeading: 'Tìm kiếm công nghệ',
      searchLabel: 'Tìm công nghệ',
      searchPlaceholder: 'Ví dụ: xử lý nước thải, máy sấy cà phê…',
      searchButton: 'Tìm',
      searchHint: 'Gõ có dấu hoặc không dấu. Dùng mũi tên lên/xuống để chọn gợi ý.',
      suggestionsLabel: 'Gợi ý',
      filters: 'Bộ lọc',
      clearFilters: 'Bỏ tất cả bộ lọc',
      pagerLabel: 'Phân trang',
      prev: '← Trang trước',
      next: 'Trang sau →',
      back: '← Quay lại',
      matchHeading: 'Tìm công nghệ cho một nhu cầu',
      matchLead: 'Mô tả nhu cầu công nghệ của doanh nghiệp; hệ thống xếp hạng các công nghệ phù hợp nhất và giải thích vì sao.',
      mTitle: 'Nhu cầu (tiêu đề)',
      mTitlePlaceholder: 'Ví dụ: Cần máy sấy cà phê bằng bơm nhiệt',
      mDesc: 'Mô tả chi tiết (không bắt buộc)',
      mKeywords: 'Từ khóa, cách nhau bằng dấu phẩy (không bắt buộc)',
      mSector: 'Lĩnh vực',
      mTrl: 'TRL tối thiểu',
      mSide: 'Tôi có',
      mSideDemand: 'một nhu cầu, tìm công nghệ',
      mSideSupply: 'một công nghệ, tìm doanh nghiệp cần nó',
      mTitleSupply: 'Tên công nghệ',
      mTrlSupply: 'TRL của công nghệ',
      mSubmitSupply: 'Tìm nhu cầu phù hợp',
      demandMatchCount: (n) => `${fmt(n)} nhu cầu phù hợp nhất, xếp từ cao xuống`,
      unasked: (best) => `Chưa có doanh nghiệp nào cần công nghệ này đủ rõ (điểm cao nhất ${best}/100).`,
      asked: 'Có doanh nghiệp đang cần công nghệ này.',
      mProvince: 'Tỉnh/thành (không bắt buộc)',
      mSubmit: 'Tìm công nghệ phù hợp',
      footer: 'Dữ liệu minh họa của TechMatch. Nội dung hồ sơ do bên cung cấp công nghệ tự khai.',
      langSwitch: 'English',
      any: 'Bất kỳ',
      all: 'Tất cả',
      facetSector: 'Lĩnh vực',
      facetProvince: 'Tỉnh/thành',
      facetCountry: 'Quốc gia',
      facetTrl: 'Mức sẵn sàng công nghệ (TRL)',
      facetTransfer: 'Hình thức chuyển giao',
      facetSource: 'Nguồn (sàn, điểm kết nối)',
      showDuplicates: 'Hiện riêng từng hồ sơ trùng lặp',
      alsoListed: 'Cũng đăng tại: ',
      showMore: (n) => `Xem thêm ${n}`,
      showLess: 'Thu gọn',
      loading: 'Đang tìm…',
      count: (n, q, more) => (q ? `${fmt(n)}${more ? '+' : ''} công nghệ phù hợp với “${q}”` : `${fmt(n)}${more ? '+' : ''} công nghệ`),
      demandCount: (n, q, more) => (q ? `${fmt(n)}${more ? '+' : ''} nhu cầu phù hợp với “${q}”` : `${fmt(n)}${more ? '+' : ''} nhu cầu`),
      pageInfo: (p, n) => `Trang ${p} / ${n}`,
      relaxed: (words) => `Quá ít hồ sơ chứa đủ mọi từ đã gõ; các từ sau không bắt buộc có mặt: ${words}.`,
      didYouMean: 'Có phải bạn muốn tìm: ',
      emptyTitle: 'Không tìm thấy công nghệ nào',
      emptyHelp: 'Hãy thử từ khác hoặc ngắn hơn, kiểm tra chính tả, hoặc bỏ bớt bộ lọc.',
      errorSearch: 'Không tải được kết quả.',
      errorDetail: 'Không mở được hồ sơ.',
      errorMatch: 'Không tìm được công nghệ phù hợp.',
      retry: 'Thử lại',
      owner: 'Đơn vị sở hữu',
      sector: 'Lĩnh vực',
      country: 'Quốc gia',
      province: 'Tỉnh/thành',
      trl: 'TRL',
      transfer: 'Hình thức chuyển giao',
      language: 'Ngôn ngữ hồ sơ',
      updated: 'Cập nhật',
      keywords: 'Từ khóa',
      summary: 'Tóm tắt',
      description: 'Mô tả',
      recordId: 'Mã hồ sơ',
      loadingRecord: 'Đang mở hồ sơ…',
      kindTitle: 'công nghệ',
      kindKeyword: 'từ khóa',
      matching: 'Đang so khớp…',
      matchCount: (n) => `${fmt(n)} công nghệ phù hợp nhất, xếp từ cao xuống`,
      noMatches: 'Không có công nghệ nào khớp với nhu cầu này.',
      unmet: (best) => `Nhu cầu chưa được đáp ứng: chưa có công nghệ nào đủ phù hợp (điểm cao nhất ${best}/100). Sàn sẽ tìm thêm nguồn cung.`,
      met: 'Có công nghệ đáp ứng nhu cầu này.',
      keyTerms: 'Từ khóa rút ra từ nhu cầu:',
      keyTermsSupply: 'Từ khóa rút ra từ công nghệ:',
      score: 'Điểm phù hợp',
      why: 'Vì sao phù hợp',
      matchedTerms: 'Từ khớp: ',
      concepts: 'Khái niệm tương đương: ',
      coverage: (t, b) => `Bao phủ từ khóa ${t}%, cụm từ ${b}%`,
      conceptCoverage: (c) => `, khái niệm ${c}%`,
      constraintMet: 'đạt',
      constraintUnmet: 'không đạt',
      wanted: 'yêu cầu',
      offered: 'có',
      constraintNames: { trl_min: 'TRL tối thiểu', transfer: 'Hình thức chuyển giao', country: 'Quốc gia', sector: 'Lĩnh vực', province: 'Tỉnh/thành' },
      fieldNames: { title: 'tiêu đề', keywords: 'từ khóa', summary: 'tóm tắt', description: 'mô tả', owner: 'đơn vị' },
      none: '—',
    },
    en: {
      title: 'TechMatch — Find technology',
      skip: 'Skip to main content',
      tagline: "Vietnam's technology supply and demand exchange",
      navLabel: 'Features',
      tabSearch: 'Find technology',
      tabMatch: 'Technology for a demand',
      tabDemands: 'Technology demands',
      enterprise: 'Enterprise',
      trlMin: 'Minimum TRL',
      sourceEvent: 'Collected at',
      demandBadge: 'Demand',
      searchHeading: 'Technology search',
      searchLabel: 'Search technologies',
      searchPlaceholder: 'e.g. wastewater treatment, coffee dryer…',
      searchButton: 'Search',
      searchHint: 'Type with or without Vietnamese accents. Use the up/down arrows to pick a suggestion.',
      suggestionsLabel: 'Suggestions',
      filters: 'Filters',
      clearFilters: 'Clear all filters',
      pagerLabel: 'Pages',
      prev: '← Previous page',
      next: 'Next page →',
      back: '← Back',
      matchHeading: 'Find technology for a demand',
      matchLead: 'Describe what an enterprise needs; the best-fitting technologies are ranked and the reasons shown.',
      mTitle: 'Demand (title)',
      mTitlePlaceholder: 'e.g. Heat-pump dryer for coffee beans',
      mDesc: 'Details (optional)',
      mKeywords: 'Keywords, separated by commas (optional)',
      mSector: 'Sector',
      mTrl: 'Minimum TRL',
      mSide: 'I have',
      mSideDemand: 'a demand: find technology',
      mSideSupply: 'a technology: find who needs it',
      mTitleSupply: 'Technology name',
      mTrlSupply: 'TRL of the technology',
      mSubmitSupply: 'Find matching demands',
      demandMatchCount: (n) => `${fmt(n)} matching demands, best first`,
      unasked: (best) => `No enterprise asks for this clearly enough yet (best score ${best}/100).`,
      asked: 'Enterprises need this technology.',
      mProvince: 'Province (optional)',
      mSubmit: 'Find matching technology',
      footer: 'TechMatch sample data. Records are described by the technology providers themselves.',
      langSwitch: 'Tiếng Việt',
      any: 'Any',
      all: 'All',
      facetSector: 'Sector',
      facetProvince: 'Province',
      facetCountry: 'Country',
      facetTrl: 'Technology readiness (TRL)',
      facetTransfer: 'Transfer mode',
      facetSource: 'Source (exchange, connection point)',
      showDuplicates: 'Show each duplicate record separately',
      alsoListed: 'Also listed at: ',
      showMore: (n) => `Show ${n} more`,
      showLess: 'Show fewer',
      loading: 'Searching…',
      count: (n, q, more) => (q ? `${fmt(n)}${more ? '+' : ''} technologies match “${q}”` : `${fmt(n)}${more ? '+' : ''} technologies`),
      demandCount: (n, q, more) => (q ? `${fmt(n)}${more ? '+' : ''} demands match “${q}”` : `${fmt(n)}${more ? '+' : ''} demands`),
      pageInfo: (p, n) => `Page ${p} of ${n}`,
      relaxed: (words) => `Too few records contain every word typed; these words were made optional: ${words}.`,
      didYouMean: 'Did you mean: ',
      emptyTitle: 'No technology found',
      emptyHelp: 'Try other or fewer words, check the spelling, or remove some filters.',
      errorSearch: 'The results could not be loaded.',
      errorDetail: 'The record could not be opened.',
      errorMatch: 'The matching technologies could not be found.',
      retry: 'Retry',
      owner: 'Owner',
      sector: 'Sector',
      country: 'Country',
      province: 'Province',
      trl: 'TRL',
      transfer: 'Transfer modes',
      language: 'Record language',
      updated: 'Updated',
      keywords: 'Keywords',
      summary: 'Summary',
      description: 'Description',
      recordId: 'Record id',
      loadingRecord: 'Opening the record…',
      kindTitle: 'technology',
      kindKeyword: 'keyword',
      matching: 'Matching…',
      matchCount: (n) => `${fmt(n)} matching technologies, best first`,
      noMatches: 'No technology matches this demand.',
      unmet: (best) => `Unmet demand: no technology fits well enough (best score ${best}/100). The exchange will look for new supply.`,
      met: 'Technologies that meet this demand exist.',
      keyTerms: 'Key terms taken from the demand:',
      keyTermsSupply: 'Key terms taken from the technology:',
      score: 'Match score',
      why: 'Why it matches',
      matchedTerms: 'Matched terms: ',
      concepts: 'Equivalent concepts: ',
      coverage: (t, b) => `Covers ${t}% of the key terms, ${b}% of the word pairs`,
      conceptCoverage: (c) => `, ${c}% of the concepts`,
      constraintMet: 'met',
      constraintUnmet: 'not met',
      wanted: 'wanted',
      offered: 'offered',
      constraintNames: { trl_min: 'Minimum TRL', transfer: 'Transfer mode', country: 'Country', sector: 'Sector', province: 'Province' },
      fieldNames: { title: 'title', keywords: 'keywords', summary: 'summary', description: 'description', owner: 'owner' },
      none: '—',
    },
  };

  const SECTORS = {
    agriculture: ['Nông nghiệp', 'Agriculture'],
    food_processing: ['Chế biến thực phẩm', 'Food processing'],
    aquaculture: ['Thủy sản', 'Aquaculture and fisheries'],
    forestry: ['Lâm nghiệp, gỗ', 'Forestry and wood'],
    environment: ['Môi trường, nước, chất thải', 'Environment, water, waste'],
    energy: ['Năng lượng', 'Energy'],
    mechanical: ['Cơ khí, chế tạo máy', 'Mechanical engineering'],
    automation: ['Tự động hóa', 'Automation'],
    ict: ['Công nghệ thông tin, điện tử', 'ICT and electronics'],
    biotech: ['Công nghệ sinh học', 'Biotechnology'],
    healthcare: ['Y tế, dược', 'Healthcare and pharmacy'],
    materials: ['Vật liệu', 'Materials'],
    construction: ['Xây dựng', 'Construction'],
    chemicals: ['Hóa chất', 'Chemicals'],
    textiles: ['Dệt may, da giày', 'Textiles and footwear'],
    mining: ['Khai khoáng', 'Mining'],
    transport: ['Giao thông, logistics', 'Transport and logistics'],
  };
  const TRANSFER = {
    license: ['Li-xăng (cấp quyền sử dụng)', 'Licence'],
    sale: ['Mua đứt công nghệ', 'Outright sale'],
    joint_venture: ['Liên doanh, góp vốn', 'Joint venture'],
    consulting: ['Tư vấn', 'Consulting'],
    training: ['Đào tạo', 'Training'],
    equipment: ['Cung cấp thiết bị', 'Equipment supply'],
  };
  const LANGS = { vi: ['Tiếng Việt', 'Vietnamese'], en: ['Tiếng Anh', 'English'], zh: ['Tiếng Trung', 'Chinese'] };
  const FACETS = [
    { dim: 'sector', key: 'facetSector' },
    { dim: 'province', key: 'facetProvince' },
    { dim: 'country', key: 'facetCountry' },
    { dim: 'trl', key: 'facetTrl' },
    { dim: 'transfer', key: 'facetTransfer' },
    { dim: 'source', key: 'facetSource' },
  ];
  const LIST_DIMS = ['sector', 'province', 'country', 'transfer', 'source'];
  const FACET_VISIBLE = 8;
  const PAGE_SIZE = 10;
  const DEBOUNCE_MS = 150;
  const LANG_KEY = 'techmatch.lang';

  let lang = 'vi';
  try {
    const saved = window.localStorage.getItem(LANG_KEY);
    if (saved === 'en' || saved === 'vi') lang = saved;
  } catch (_) { /* storage may be blocked */ }

  const t = (key) => TEXT[lang][key];
  const li = () => (lang === 'vi' ? 0 : 1);
  function fmt(n) {
    return new Intl.NumberFormat(lang === 'vi' ? 'vi-VN' : 'en-US').format(n);
  }
  function sectorName(code) {
    return SECTORS[code] ? SECTORS[code][li()] : code;
  }
  function transferName(code) {
    return TRANSFER[code] ? TRANSFER[code][li()] : code;
  }
  function langName(code) {
    return LANGS[code] ? LANGS[code][li()] : code;
  }
  function countryName(code) {
    try {
      return new Intl.DisplayNames([lang], { type: 'region' }).of(code) || code;
    } catch (_) {
      return code;
    }
  }
  function facetLabel(dim, value) {
    switch (dim) {
      case 'sector': return sectorName(value);
      case 'country': return countryName(value);
      case 'transfer': return transferName(value);
      case 'trl': return `TRL ${value}`;
      default: return value;
    }
  }

  // ---------------------------------------------------------------- DOM helpers
  const $ = (id) => document.getElementById(id);

  /** An element with properties/attributes and children (strings become text nodes). */
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(props || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === 'class') node.className = value;
      else if (name === 'text') node.textContent = value;
      else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
      else if (name in node && typeof value !== 'string') node[name] = value;
      else node.setAttribute(name, value === true ? '' : String(value));
    }
    append(node, children);
    return node;
  }
  function append(node, children) {
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
    }
    return node;
  }

  const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", '#39': "'", '#x27': "'" };
  function decodeEntities(text) {
    return text.replace(/&(amp|lt|gt|quot|apos|#39|#x27);/g, (_, name) => ENTITIES[name]);
  }
  /**
   * A fragment of text nodes and <mark> elements from the API's highlighted HTML, in which
   * everything but <mark> and </mark> is escaped text. Nothing here is parsed as markup.
   */
  function markedText(html) {
    const fragment = document.createDocumentFragment();
    let inMark = false;
    for (const part of String(html || '').split(/(<mark>|<\/mark>)/)) {
      if (part === '<mark>') { inMark = true; continue; }
      if (part === '</mark>') { inMark = false; continue; }
      if (!part) continue;
      const text = document.createTextNode(decodeEntities(part));
      fragment.append(inMark ? el('mark', null, text) : text);
    }
    return fragment;
  }

  // ---------------------------------------------------------------- state and URL
  const emptyFilters = () => ({ sector: [], province: [], country: [], transfer: [], source: [], trl: '' });
  const state = { view: 'search', kind: 'supplies', q: '', filters: emptyFilters(), page: 1, id: null, duplicates: false };

  function readUrl() {
    const params = new URLSearchParams(window.location.search);
    state.q = params.get('q') || '';
    state.filters = emptyFilters();
    for (const dim of LIST_DIMS) state.filters[dim] = params.getAll(dim).filter(Boolean);
    const trl = params.get('trl') || '';
    state.filters.trl = /^[1-9]$/.test(trl) ? trl : '';
    state.page = Math.max(1, parseInt(params.get('page'), 10) || 1);
    state.duplicates = params.get('duplicates') === 'all';
    $('show-duplicates').checked = state.duplicates;
    state.id = params.get('id');
    state.kind = params.get('kind') === 'demands' ? 'demands' : 'supplies';
    state.view = state.id ? 'detail' : params.get('view') === 'match' ? 'match' : 'search';
  }
  function searchParams() {
    const params = new URLSearchParams();
    if (state.kind === 'demands') params.set('kind', 'demands');
    if (state.q) params.set('q', state.q);
    for (const dim of LIST_DIMS) for (const value of state.filters[dim]) params.append(dim, value);
    if (state.filters.trl) params.set('trl', state.filters.trl);
    if (state.duplicates) params.set('duplicates', 'all');
    if (state.page > 1) params.set('page', String(state.page));
    return params;
  }
  function writeUrl(push) {
    const params = state.view === 'match' ? new URLSearchParams('view=match') : searchParams();
    if (state.view === 'detail' && state.id) params.set('id', state.id);
    const query = params.toString();
    const url = query ? `/?${query}` : '/';
    if (url === window.location.pathname + window.location.search) return;
    if (push) window.history.pushState(null, '', url);
    else window.history.replaceState(null, '', url);
  }
  function apiSearchParams() {
    const params = new URLSearchParams();
    params.set('q', state.q);
    if (state.kind === 'demands') params.set('kind', 'demands');
    for (const dim of LIST_DIMS) if (state.filters[dim].length) params.set(dim, state.filters[dim].join(','));
    if (state.filters.trl) {
      params.set('trl_min', state.filters.trl);
      params.set('trl_max', state.filters.trl);
    }
    if (state.duplicates) params.set('show_duplicates', 'true');
    params.set('page', String(state.page));
    params.set('size', String(PAGE_SIZE));
    return params;
  }
  const activeFilterCount = () =>
    LIST_DIMS.reduce((n, dim) => n + state.filters[dim].length, 0) + (state.filters.trl ? 1 : 0);

  // ---------------------------------------------------------------- API
  class ApiFailure extends Error {}
  async function api(path, options) {
    let response;
    try {
      response = await fetch(path, Object.assign({ headers: { Accept: 'application/json' } }, options));
    } catch (error) {
      if (error.name === 'AbortError') throw error;
      throw new ApiFailure(lang === 'vi' ? 'Không kết nối được máy chủ.' : 'The server cannot be reached.');
    }
    let body = null;
    try { body = await response.json(); } catch (_) { /* not JSON */ }
    if (!response.ok) {
      const message = body && body.error && body.error.message;
      throw new ApiFailure(message ? `${message} (${response.status})` : `HTTP ${response.status}`);
    }
    return body;
  }

  // ---------------------------------------------------------------- timings
  // For the browser test and for anyone measuring: from the last keystroke (input event) to
  // the moment the results of that text are in the page.
  window.__techmatchTimings = [];
  let lastInputAt = null;

  // ---------------------------------------------------------------- search
  const q = $('q');
  const results = $('results');
  let searchController = null;
  let searchSeq = 0;
  let lastSearchKey = null;
  let lastResponse = null;
  let renders = 0;

  function runSearch(inputAt) {
    const key = apiSearchParams().toString();
    lastSearchKey = key;
    if (searchController) searchController.abort();
    const controller = new AbortController();
    searchController = controller;
    const seq = ++searchSeq;
    setLoading(true);
    api(`/api/search?${key}`, { signal: controller.signal })
      .then((body) => {
        if (seq !== searchSeq) return;
        lastResponse = body;
        renderSearch(body);
        if (inputAt != null && body.query === q.value) {
          const entry = { q: body.query, ms: Math.round(performance.now() - inputAt), server_ms: body.took_ms };
          window.__techmatchTimings.push(entry);
          results.dataset.lastMs = String(entry.ms);
          window.requestAnimationFrame(() => {
            entry.paint_ms = Math.round(performance.now() - inputAt);
          });
        }
      })
      .catch((error) => {
        if (error.name === 'AbortError' || seq !== searchSeq) return;
        lastSearchKey = null;
        showError($('error'), t('errorSearch'), error, () => runSearch(null));
        results.replaceChildren();
        $('status').textContent = '';
      })
      .finally(() => {
        if (seq === searchSeq) setLoading(false);
      });
  }

  function setLoading(loading) {
    results.setAttribute('aria-busy', loading ? 'true' : 'false');
    document.body.classList.toggle('loading', loading);
    if (loading) $('status').textContent = t('loading');
  }

  function renderSearch(body) {
    $('error').hidden = true;
    renders += 1;
    results.dataset.renders = String(renders);
    results.dataset.renderedQ = body.query;
    results.dataset.total = String(body.total);
    results.dataset.totalIsLowerBound = String(Boolean(body.total_is_lower_bound));
    $('status').textContent = t(state.kind === 'demands' ? 'demandCount' : 'count')(body.total, body.query.trim(), body.total_is_lower_bound);
    renderNotice(body);
    renderFacets(body.facets || {});
    if (!body.hits.length) {
      results.replaceChildren(el('li', { class: 'empty' },
        el('p', { class: 'empty-title', text: t('emptyTitle') }),
        el('p', { text: t('emptyHelp') })));
    } else {
      results.replaceChildren(...body.hits.map(renderCard));
    }
    const pages = Math.max(1, Math.ceil(Math.min(body.total, 10000) / PAGE_SIZE));
    $('pager').hidden = pages <= 1;
    $('prev').disabled = state.page <= 1;
    $('next').disabled = state.page >= pages;
    $('page-info').textContent = t('pageInfo')(state.page, pages);
  }

  function renderNotice(body) {
    const notice = $('notice');
    notice.replaceChildren();
    if (body.did_you_mean) {
      append(notice, [el('p', null, t('didYouMean'),
        el('button', {
          type: 'button', class: 'link', id: 'did-you-mean', text: body.did_you_mean,
          onclick: () => { q.value = body.did_you_mean; commitQuery(true); },
        }))]);
    }
    if (body.relaxed) {
      append(notice, [el('p', { id: 'relaxed', text: t('relaxed')((body.optional_words || []).join(', ')) })]);
    }
    notice.hidden = !notice.childNodes.length;
  }

  function place(record) {
    const parts = [];
    if (record.province) parts.push(record.province);
    if (record.country) parts.push(countryName(record.country));
    return parts.join(', ');
  }

  function renderCard(hit) {
    const record = hit.record || {};
    const demand = hit.kind === 'demand';
    const meta = [];
    if (demand) meta.push(el('span', { class: 'badge', text: t('demandBadge') }));
    const who = demand ? record.enterprise : record.owner;
    if (who) meta.push(el('span', { class: 'owner', text: who }));
    if (place(record)) meta.push(el('span', { class: 'place', text: place(record) }));
    if (record.trl) meta.push(el('span', { class: 'trl', text: `TRL ${record.trl}` }));
    if (demand && record.trl_min) meta.push(el('span', { class: 'trl', text: `TRL ≥ ${record.trl_min}` }));
    if (record.sector) meta.push(el('span', { class: 'sector', text: sectorName(record.sector) }));
    if (demand && record.source_event) meta.push(el('span', { class: 'event', text: record.source_event }));
    return el('li', { class: demand ? 'card demand' : 'card', 'data-id': hit.id, 'data-kind': demand ? 'demand' : 'supply' },
      el('h2', { class: 'card-title' },
        el('a', { href: `/?${demand ? 'kind=demands&' : ''}id=${encodeURIComponent(hit.id)}`, onclick: (event) => openRecord(event, hit.id) },
          markedText(hit.title_html))),
      hit.snippet_html ? el('p', { class: 'snippet' }, markedText(hit.snippet_html)) : null,
      el('p', { class: 'meta' }, meta),
      record.transfer && record.transfer.length
        ? el('ul', { class: 'chips', 'aria-label': t('transfer') },
          record.transfer.map((mode) => el('li', { text: transferName(mode) })))
        : null,
      hit.also_listed && hit.also_listed.length
        ? el('p', { class: 'also-listed' }, t('alsoListed'),
          ...hit.also_listed.map((other, i) => el('span', null, i ? ', ' : '',
            el('a', {
              href: `/?id=${encodeURIComponent(other.id)}`,
              'data-id': other.id,
              onclick: (event) => openRecord(event, other.id),
              text: other.source ? `${other.source} (${other.source_id || other.id})` : other.id,
            }))))
        : null);
  }

  function renderFacets(facets) {
    const container = $('facets');
    const focused = document.activeElement;
    const refocus = focused && focused.dataset && focused.dataset.dim
      ? { dim: focused.dataset.dim, value: focused.dataset.value, more: focused.dataset.more }
      : null;
    const groups = FACETS.map(({ dim, key }) => renderFacet(dim, t(key), facets[dim] || []));
    container.replaceChildren(...groups);
    $('clear-filters').hidden = activeFilterCount() === 0;
    const summary = $('filters').querySelector('summary');
    summary.textContent = activeFilterCount() ? `${t('filters')} (${activeFilterCount()})` : t('filters');
    if (refocus) {
      for (const node of container.querySelectorAll('[data-dim]')) {
        if (node.dataset.dim === refocus.dim && node.dataset.value === refocus.value
            && node.dataset.more === refocus.more) {
          node.focus();
          break;
        }
      }
    }
  }

  const expanded = new Set();
  function renderFacet(dim, legend, values) {
    const single = dim === 'trl';
    const selected = single ? (state.filters.trl ? [state.filters.trl] : []) : state.filters[dim];
    const rows = values.map((v) => ({ value: v.value, count: v.count }));
    for (const value of selected) {
      if (!rows.some((r) => r.value === value)) rows.push({ value, count: 0 });
    }
    if (single) rows.sort((a, b) => Number(a.value) - Number(b.value));
    const fieldset = el('fieldset', { class: 'facet', 'data-facet': dim }, el('legend', { text: legend }));
    const list = el('ul');
    if (single) {
      list.append(facetRow(dim, '', t('all'), null, !state.filters.trl, true));
    }
    const many = rows.length > FACET_VISIBLE + 2 && !expanded.has(dim);
    rows.forEach((row, i) => {
      const checked = selected.includes(row.value);
      if (many && i >= FACET_VISIBLE && !checked) return;
      list.append(facetRow(dim, row.value, facetLabel(dim, row.value), row.count, checked, single));
    });
    fieldset.append(list);
    if (rows.length > FACET_VISIBLE + 2) {
      const hidden = rows.length - FACET_VISIBLE;
      fieldset.append(el('button', {
        type: 'button', class: 'link more', 'data-dim': dim, 'data-value': '', 'data-more': 'yes',
        'aria-expanded': expanded.has(dim) ? 'true' : 'false',
        text: expanded.has(dim) ? t('showLess') : t('showMore')(hidden),
        onclick: () => {
          if (expanded.has(dim)) expanded.delete(dim); else expanded.add(dim);
          if (lastResponse) renderFacets(lastResponse.facets || {});
        },
      }));
    }
    return fieldset;
  }

  function facetRow(dim, value, label, count, checked, single) {
    const input = el('input', {
      type: single ? 'radio' : 'checkbox',
      name: single ? `facet-${dim}` : undefined,
      value,
      checked,
      'data-dim': dim,
      'data-value': value,
      onchange: () => toggleFilter(dim, value, input.checked),
    });
    return el('li', null, el('label', { class: count === 0 ? 'zero' : null },
      input,
      el('span', { class: 'facet-label', text: label }),
      count === null ? null : el('span', { class: 'count', text: fmt(count) })));
  }

  function toggleFilter(dim, value, on) {
    if (dim === 'trl') {
      state.filters.trl = on ? value : '';
    } else {
      const list = state.filters[dim].filter((v) => v !== value);
      if (on) list.push(value);
      state.filters[dim] = list;
    }
    state.page = 1;
    writeUrl(true);
    runSearch(null);
  }

  // ---------------------------------------------------------------- typing, suggestions
  let debounceTimer = null;
  let suggestController = null;
  let suggestions = [];
  let activeSuggestion = -1;
  const listbox = $('suggestions');

  q.addEventListener('input', () => {
    lastInputAt = performance.now();
    const inputAt = lastInputAt;
    window.clearTimeout(debounceTimer);
    debounceTimer = window.setTimeout(() => {
      state.q = q.value;
      state.page = 1;
      writeUrl(false);
      runSearch(inputAt);
      fetchSuggestions(q.value);
    }, DEBOUNCE_MS);
  });

  function commitQuery(push) {
    window.clearTimeout(debounceTimer);
    closeSuggestions();
    state.q = q.value;
    state.page = 1;
    writeUrl(push);
    runSearch(null);
  }

  $('search-form').addEventListener('submit', (event) => {
    event.preventDefault();
    if (state.view !== 'search') showView('search');
    commitQuery(true);
  });

  function fetchSuggestions(text) {
    if (suggestController) suggestController.abort();
    // Suggestions complete offers' titles and keywords: not offered while searching demands.
    if (!text.trim() || state.kind === 'demands') { closeSuggestions(); return; }
    const controller = new AbortController();
    suggestController = controller;
    api(`/api/suggest?${new URLSearchParams({ q: text, limit: '8' })}`, { signal: controller.signal })
      .then((body) => {
        if (controller !== suggestController || q.value !== text || document.activeElement !== q) return;
        showSuggestions(body.suggestions || []);
      })
      .catch(() => { /* suggestions are optional: the results still come */ });
  }

  function showSuggestions(items) {
    suggestions = items;
    activeSuggestion = -1;
    q.removeAttribute('aria-activedescendant');
    listbox.replaceChildren(...items.map((item, i) => el('li', {
      id: `suggestion-${i}`, role: 'option', 'aria-selected': 'false', class: 'option',
      onmousedown: (event) => event.preventDefault(),
      onclick: () => chooseSuggestion(i),
    }, el('span', { class: 'option-text' }, markedText(item.html)),
    el('span', { class: 'kind', text: item.kind === 'title' ? t('kindTitle') : t('kindKeyword') }))));
    listbox.hidden = !items.length;
    q.setAttribute('aria-expanded', items.length ? 'true' : 'false');
  }

  function closeSuggestions() {
    if (suggestController) suggestController.abort();
    suggestions = [];
    activeSuggestion = -1;
    listbox.hidden = true;
    listbox.replaceChildren();
    q.setAttribute('aria-expanded', 'false');
    q.removeAttribute('aria-activedescendant');
  }

  function highlightSuggestion(index) {
    activeSuggestion = index;
    listbox.querySelectorAll('[role=option]').forEach((option, i) => {
      option.setAttribute('aria-selected', i === index ? 'true' : 'false');
      if (i === index) option.scrollIntoView({ block: 'nearest' });
    });
    if (index >= 0) q.setAttribute('aria-activedescendant', `suggestion-${index}`);
    else q.removeAttribute('aria-activedescendant');
  }

  function chooseSuggestion(index) {
    const item = suggestions[index];
    if (!item) return;
    closeSuggestions();
    if (item.kind === 'title' && item.id) {
      showRecord(item.id, true);
      return;
    }
    q.value = item.text;
    commitQuery(true);
  }

  q.addEventListener('keydown', (event) => {
    const open = !listbox.hidden && suggestions.length > 0;
    if (event.key === 'ArrowDown' && open) {
      event.preventDefault();
      highlightSuggestion((activeSuggestion + 1) % suggestions.length);
    } else if (event.key === 'ArrowUp' && open) {
      event.preventDefault();
      highlightSuggestion(activeSuggestion <= 0 ? suggestions.length - 1 : activeSuggestion - 1);
    } else if (event.key === 'Enter' && open && activeSuggestion >= 0) {
      event.preventDefault();
      chooseSuggestion(activeSuggestion);
    } else if (event.key === 'Escape' && open) {
      event.preventDefault();
      closeSuggestions();
    }
  });
  q.addEventListener('blur', () => window.setTimeout(() => {
    if (document.activeElement !== q) closeSuggestions();
  }, 0));

  // ---------------------------------------------------------------- paging, filters
  $('prev').addEventListener('click', () => goToPage(state.page - 1));
  $('next').addEventListener('click', () => goToPage(state.page + 1));
  function goToPage(page) {
    state.page = Math.max(1, page);
    writeUrl(true);
    runSearch(null);
    $('main').scrollIntoView({ block: 'start' });
  }
  $('show-duplicates').addEventListener('change', (event) => {
    state.duplicates = event.target.checked;
    state.page = 1;
    writeUrl(true);
    runSearch(null);
  });
  $('clear-filters').addEventListener('click', () => {
    state.filters = emptyFilters();
    state.page = 1;
    writeUrl(true);
    runSearch(null);
    q.focus();
  });
  const wide = window.matchMedia('(min-width: 761px)');
  const syncFilters = () => { $('filters').open = wide.matches; };
  wide.addEventListener('change', syncFilters);
  syncFilters();

  // ---------------------------------------------------------------- record detail
  let detailController = null;
  let lastRecord = null;
  let openedFrom = null;
  let detailPushed = false;

  function openRecord(event, id, kind) {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    if (kind) state.kind = kind;
    showRecord(id, true);
  }

  function showRecord(id, push) {
    openedFrom = state.view === 'search' ? id : null;
    state.id = id;
    state.view = 'detail';
    detailPushed = push;
    if (push) writeUrl(true);
    showView('detail');
    loadRecord(id);
  }

  function loadRecord(id) {
    if (detailController) detailController.abort();
    const controller = new AbortController();
    detailController = controller;
    const detail = $('detail');
    $('detail-error').hidden = true;
    detail.setAttribute('aria-busy', 'true');
    detail.replaceChildren(el('p', { class: 'status', text: t('loadingRecord') }));
    const side = state.kind === 'demands' ? 'demands' : 'supplies';
    api(`/api/${side}/${encodeURIComponent(id)}`, { signal: controller.signal })
      .then((record) => {
        if (controller !== detailController) return;
        lastRecord = record;
        renderRecord(record);
        $('detail-title').focus();
      })
      .catch((error) => {
        if (error.name === 'AbortError' || controller !== detailController) return;
        detail.replaceChildren();
        showError($('detail-error'), t('errorDetail'), error, () => loadRecord(id));
      })
      .finally(() => detail.setAttribute('aria-busy', 'false'));
  }

  function renderRecord(record) {
    const rows = [
      [t('owner'), record.owner],
      [t('enterprise'), record.enterprise],
      [t('sector'), record.sector && sectorName(record.sector)],
      [t('country'), record.country && countryName(record.country)],
      [t('province'), record.province],
      [t('trl'), record.trl && String(record.trl)],
      [t('trlMin'), record.trl_min && String(record.trl_min)],
      [t('sourceEvent'), record.source_event],
      [t('transfer'), (record.transfer || []).map(transferName).join(', ')],
      [t('language'), record.lang && langName(record.lang)],
      [t('updated'), record.updated],
      [t('recordId'), record.id],
    ].filter(([, value]) => value);
    $('detail').replaceChildren(
      el('h1', { id: 'detail-title', tabindex: '-1', text: record.title }),
      record.summary ? el('p', { class: 'summary', id: 'detail-summary', text: record.summary }) : null,
      el('dl', { class: 'facts' }, rows.map(([name, value]) => [el('dt', { text: name }), el('dd', { text: value })])),
      record.keywords && record.keywords.length
        ? el('section', { 'aria-labelledby': 'detail-keywords' },
          el('h2', { id: 'detail-keywords', text: t('keywords') }),
          el('ul', { class: 'chips' }, record.keywords.map((k) => el('li', { text: k }))))
        : null,
      record.description
        ? el('section', { 'aria-labelledby': 'detail-description' },
          el('h2', { id: 'detail-description', text: t('description') }),
          el('p', { class: 'description', text: record.description }))
        : null);
    document.title = `${record.title} — TechMatch`;
  }

  $('back').addEventListener('click', () => {
    if (detailPushed) {
      detailPushed = false;
      window.history.back();
    } else {
      state.view = 'search';
      state.id = null;
      writeUrl(true);
      route();
    }
  });

  // ---------------------------------------------------------------- demand matching
  let matchController = null;
  let lastMatch = null;

  function fillMatchSelects() {
    const sector = $('m-sector');
    const chosenSector = sector.value;
    sector.replaceChildren(el('option', { value: '', text: t('any') }),
      ...Object.keys(SECTORS).map((code) => el('option', { value: code, text: sectorName(code) })));
    sector.value = chosenSector;
    const trl = $('m-trl');
    const chosenTrl = trl.value;
    trl.replaceChildren(el('option', { value: '', text: t('any') }),
      ...[1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => el('option', { value: String(n), text: `TRL ${n}` })));
    trl.value = chosenTrl;
  }

  // Which side the form is on: a demand looking for technology (the default), or a
  // technology looking for the enterprises that need it (matched against the demands).
  const offering = () => $('m-side-supply').checked;
  function updateSide() {
    const labels = offering()
      ? [['m-title-label', 'mTitleSupply'], ['m-trl-label', 'mTrlSupply'], ['m-submit', 'mSubmitSupply']]
      : [['m-title-label', 'mTitle'], ['m-trl-label', 'mTrl'], ['m-submit', 'mSubmit']];
    for (const [id, key] of labels) {
      $(id).dataset.i18n = key;
      $(id).textContent = t(key);
    }
  }
  for (const radio of document.querySelectorAll('#m-side input')) {
    radio.addEventListener('change', () => {
      updateSide();
      lastMatch = null;
      $('match-status').textContent = '';
      $('match-result').replaceChildren();
    });
  }

  $('match-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const supply = offering();
    const demand = { id: supply ? 'portal-supply' : 'portal-demand', title: $('m-title').value.trim() };
    if (!demand.title) { $('m-title').focus(); return; }
    const description = $('m-desc').value.trim();
    if (description) demand.description = description;
    // The keywords weigh as title words and name glossary concepts the text may not.
    const keywords = $('m-keywords').value.split(/[,;]/).map((k) => k.trim()).filter(Boolean);
    if (keywords.length) demand.keywords = keywords;
    if ($('m-sector').value) demand.sector = $('m-sector').value;
    if ($('m-trl').value) demand[supply ? 'trl' : 'trl_min'] = Number($('m-trl').value);
    const province = $('m-province').value.trim();
    if (province) demand.province = province;
    if (matchController) matchController.abort();
    const controller = new AbortController();
    matchController = controller;
    $('match-error').hidden = true;
    $('match-status').textContent = t('matching');
    $('match-result').setAttribute('aria-busy', 'true');
    api(supply ? '/api/match?top=10&against=demands' : '/api/match?top=10', {
      method: 'POST',
      headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: JSON.stringify(demand),
      signal: controller.signal,
    })
      .then((result) => {
        if (controller !== matchController) return;
        lastMatch = result;
        renderMatch(result);
        $('match-status').scrollIntoView({ block: 'start' });
      })
      .catch((error) => {
        if (error.name === 'AbortError' || controller !== matchController) return;
        $('match-status').textContent = '';
        $('match-result').replaceChildren();
        showError($('match-error'), t('errorMatch'), error, () => $('match-form').requestSubmit());
      })
      .finally(() => $('match-result').setAttribute('aria-busy', 'false'));
  });

  const percent = (x) => Math.round((x || 0) * 100);

  function renderMatch(result) {
    const matches = result.matches || [];
    const demands = result.supply_id !== undefined;
    const count = demands ? 'demandMatchCount' : 'matchCount';
    $('match-status').textContent = matches.length ? t(count)(matches.length) : t('noMatches');
    const best = matches.length ? Math.round(matches[0].score) : 0;
    const lacking = demands ? result.unasked : result.unmet;
    const verdict = lacking
      ? el('p', { class: 'unmet', id: 'unmet', 'data-unmet': 'true', text: t(demands ? 'unasked' : 'unmet')(best) })
      : el('p', { class: 'met', 'data-unmet': 'false', text: t(demands ? 'asked' : 'met') });
    const keyTerms = (result.key_terms || []).slice()
      .sort((a, b) => b.weight - a.weight)
      .slice(0, 12);
    $('match-result').replaceChildren(
      verdict,
      keyTerms.length
        ? el('div', { class: 'key-terms' }, el('span', { text: t(demands ? 'keyTermsSupply' : 'keyTerms') }),
          el('ul', { class: 'chips' }, keyTerms.map((k) => el('li', { text: k.text }))))
        : null,
      el('ol', { class: 'matches', id: 'matches' }, matches.map(renderMatchItem)));
  }

  function renderMatchItem(match) {
    const x = match.explanation || {};
    const score = Math.round(match.score);
    const fieldName = (f) => TEXT[lang].fieldNames[f] || f;
    const terms = (x.top_terms || []).map((term) => `${term.term} (${fieldName(term.field)}, ${percent(term.share)}%)`);
    const concepts = (x.glossary || []).map((g) => `${g.demand_term} ≈ ${g.concept.replace(/_/g, ' ')}`);
    let coverage = t('coverage')(percent(x.term_coverage), percent(x.bigram_coverage));
    if (x.concept_coverage !== undefined && x.concept_coverage !== null) coverage += t('conceptCoverage')(percent(x.concept_coverage));
    const constraints = (x.constraints || []).map((c) => el('li', { class: c.met ? 'ok' : 'bad' },
      `${TEXT[lang].constraintNames[c.constraint] || c.constraint}: ${t('wanted')} ${c.wanted}, ${t('offered')} ${c.offered || t('none')} — `,
      el('strong', { text: c.met ? t('constraintMet') : t('constraintUnmet') })));
    const demand = match.demand_id !== undefined;
    const id = demand ? match.demand_id : match.supply_id;
    const meta = (demand
      ? [match.enterprise, match.province, match.source_event]
      : [match.owner, match.country && countryName(match.country)]).filter(Boolean).join(' · ');
    const href = `/?${demand ? 'kind=demands&' : ''}id=${encodeURIComponent(id)}`;
    return el('li', { class: 'match', 'data-id': id, 'data-kind': demand ? 'demand' : 'supply' },
      el('div', { class: 'match-head' },
        el('h2', { class: 'card-title' },
          el('a', { href, onclick: (event) => openRecord(event, id, demand ? 'demands' : 'supplies') },
            match.title)),
        el('div', { class: 'score' },
          el('meter', { min: 0, max: 100, low: 25, high: 60, optimum: 100, value: score, 'aria-label': t('score') }),
          el('span', { class: 'score-value', text: `${score}/100` }))),
      meta ? el('p', { class: 'meta', text: meta }) : null,
      el('div', { class: 'explanation' },
        el('h3', { text: t('why') }),
        el('ul', null,
          terms.length ? el('li', { class: 'terms' }, t('matchedTerms'), terms.join(', ')) : null,
          concepts.length ? el('li', { class: 'concepts' }, t('concepts'), concepts.join('; ')) : null,
          el('li', { class: 'coverage', text: coverage }),
          constraints)));
  }

  // ---------------------------------------------------------------- errors, views, language
  function showError(box, title, error, retry) {
    box.replaceChildren(el('p', null, el('strong', { text: title }), ' ', error.message || String(error)),
      el('button', { type: 'button', text: t('retry'), onclick: () => { box.hidden = true; retry(); } }));
    box.hidden = false;
  }

  function showView(view) {
    state.view = view;
    $('view-search').hidden = view !== 'search';
    $('view-detail').hidden = view !== 'detail';
    $('view-match').hidden = view !== 'match';
    for (const tab of document.querySelectorAll('.tabs a')) {
      const sameKind = !tab.dataset.kind || tab.dataset.kind === state.kind;
      const current = (tab.dataset.view === view || (view === 'detail' && tab.dataset.view === 'search')) && sameKind;
      if (current) tab.setAttribute('aria-current', 'page'); else tab.removeAttribute('aria-current');
    }
    if (view !== 'detail') document.title = t('title');
  }

  function route() {
    readUrl();
    showView(state.view);
    if (state.view === 'detail') {
      if (!lastRecord || lastRecord.id !== state.id) loadRecord(state.id);
      return;
    }
    if (state.view === 'search') {
      if (document.activeElement !== q || q.value !== state.q) q.value = state.q;
      if (apiSearchParams().toString() !== lastSearchKey) runSearch(null);
      if (openedFrom) {
        for (const card of results.querySelectorAll('.card')) {
          if (card.dataset.id === openedFrom) { card.querySelector('a').focus(); break; }
        }
        openedFrom = null;
      }
    }
  }

  for (const tab of document.querySelectorAll('.tabs a')) {
    tab.addEventListener('click', (event) => {
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      const view = tab.dataset.view;
      if (view === 'match') {
        state.view = 'match';
        writeUrl(true);
        showView('match');
        $('m-title').focus();
      } else {
        const kind = tab.dataset.kind || 'supplies';
        if (kind !== state.kind) {
          // The other side of the exchange: same words, its own filters.
          state.kind = kind;
          state.filters = emptyFilters();
          state.page = 1;
        }
        state.view = 'search';
        state.id = null;
        writeUrl(true);
        route();
        q.focus();
      }
    });
  }

  function applyLanguage() {
    document.documentElement.lang = lang;
    for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
    for (const node of document.querySelectorAll('[data-i18n-placeholder]')) node.placeholder = t(node.dataset.i18nPlaceholder);
    for (const node of document.querySelectorAll('[data-i18n-aria]')) node.setAttribute('aria-label', t(node.dataset.i18nAria));
    const button = $('lang-switch');
    button.textContent = t('langSwitch');
    button.lang = lang === 'vi' ? 'en' : 'vi';
    fillMatchSelects();
    updateSide();
    if (lastResponse) renderSearch(lastResponse);
    if (lastRecord && state.view === 'detail') renderRecord(lastRecord);
    if (lastMatch) renderMatch(lastMatch);
    if (state.view !== 'detail') document.title = t('title');
  }

  $('lang-switch').addEventListener('click', () => {
    lang = lang === 'vi' ? 'en' : 'vi';
    try { window.localStorage.setItem(LANG_KEY, lang); } catch (_) { /* not remembered */ }
    applyLanguage();
  });

  window.addEventListener('popstate', route);
  applyLanguage();
  route();
  document.body.dataset.ready = 'true';
})();

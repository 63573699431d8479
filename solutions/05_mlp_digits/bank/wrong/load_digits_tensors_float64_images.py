def load_digits_tensors(test_size=0.25, seed=0):
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=test_size, stratify=y, random_state=seed)
    return (
        torch.from_numpy(X_train / 16),
        torch.from_numpy(X_test / 16),
        torch.from_numpy(y_train),
        torch.from_numpy(y_test),
    )
